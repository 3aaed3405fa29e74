// Compiles the projects of test/types/setups/ (see its README) with the TypeScript compiler API,
// each with its own tsconfig.json, against the BUILT package: `holdfast` is a `node_modules`
// folder next to the setups that exists only for the compiler, and holds exactly the files
// `npm pack` would publish (read from the repository's root). Runs after `npm run build`.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const setups = join(root, 'test', 'types', 'setups');
const modules = join(setups, 'node_modules');
const installed = join(modules, 'holdfast');

/** The package's files as `npm pack` lists them (relative, `/`-separated). */
let packed: Set<string>;
/** Every folder of the package that holds a packed file, `''` for its root. */
let folders: Set<string>;

beforeAll(() => {
  if (!existsSync(join(root, 'dist', 'index.d.ts'))) throw new Error('dist/ is missing: run `npm run build` first');
  const [report] = JSON.parse(
    execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8', timeout: 60_000 }),
  ) as { files: { path: string }[] }[];
  packed = new Set(report!.files.map((file) => file.path));
  folders = new Set(['']);
  for (const file of packed) {
    for (let at = file.lastIndexOf('/'); at > 0; at = file.lastIndexOf('/', at - 1)) folders.add(file.slice(0, at));
  }
}, 60_000);

/** The package-relative path of a name inside the virtual node_modules/holdfast, if it is one. */
function inPackage(name: string): string | undefined {
  if (name === installed) return '';
  if (!name.startsWith(installed + sep)) return undefined;
  return name.slice(installed.length + 1).split(sep).join('/');
}

interface Result {
  /** `file:line: TSxxxx: message`, relative to the setups folder. */
  readonly problems: string[];
  /** Files of the package the program loaded, package-relative. */
  readonly used: string[];
  /** Files of the package the compiler read, package.json files included. */
  readonly read: Set<string>;
}

/** Parsed library files, shared by the setups' programs (parsing @types/node is the slow part). */
const parsedFiles = new Map<string, ts.SourceFile>();

/** Compiles one setup; `patch` may rewrite a package file as the compiler reads it. */
function compile(setup: string, patch?: (file: string, text: string) => string): Result {
  const dir = join(setups, setup);
  const config = ts.readConfigFile(join(dir, 'tsconfig.json'), ts.sys.readFile);
  if (config.error) throw new Error(ts.flattenDiagnosticMessageText(config.error.messageText, '\n'));
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, dir);
  const host = ts.createCompilerHost(parsed.options, true);
  const read = new Set<string>();
  const real = { fileExists: host.fileExists, readFile: host.readFile, directoryExists: host.directoryExists, realpath: host.realpath };
  host.fileExists = (name) => {
    const file = inPackage(name);
    return file === undefined ? real.fileExists.call(host, name) : packed.has(file);
  };
  host.readFile = (name) => {
    const file = inPackage(name);
    if (file === undefined) return real.readFile.call(host, name);
    read.add(file);
    const text = packed.has(file) ? ts.sys.readFile(join(root, file)) : undefined;
    return text !== undefined && patch ? patch(file, text) : text;
  };
  host.directoryExists = (name) => {
    if (name === modules) return true;
    const file = inPackage(name);
    if (file !== undefined) return folders.has(file);
    return real.directoryExists ? real.directoryExists.call(host, name) : ts.sys.directoryExists(name);
  };
  host.realpath = (name) => (inPackage(name) !== undefined ? name : (real.realpath?.call(host, name) ?? name));
  const { getSourceFile } = host;
  host.getSourceFile = (name, language, onError, create) => {
    if (!name.includes(`${sep}node_modules${sep}`)) return getSourceFile.call(host, name, language, onError, create);
    const format = typeof language === 'object' ? language.impliedNodeFormat : undefined;
    const key = `${name}|${typeof language === 'object' ? language.languageVersion : language}|${format}`;
    // A patched compile parses the package's files afresh; the libraries' files stay shared.
    const shared = !patch || inPackage(name) === undefined;
    let file = shared ? parsedFiles.get(key) : undefined;
    if (!file) {
      file = getSourceFile.call(host, name, language, onError, create);
      if (file && shared) parsedFiles.set(key, file);
    }
    return file;
  };
  const program = ts.createProgram({ rootNames: parsed.fileNames, options: parsed.options, host });
  // The setup's own files and the package's declarations are checked in full; the other libraries
  // (TypeScript's lib files, @types/node, @types/ws) only as far as these files use them.
  const checked = program.getSourceFiles().filter((file) => parsed.fileNames.includes(file.fileName) || inPackage(file.fileName) !== undefined);
  const diagnostics = [
    ...parsed.errors,
    ...program.getOptionsDiagnostics(),
    ...program.getGlobalDiagnostics(),
    ...checked.flatMap((file) => [...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file)]),
  ];
  const problems = diagnostics.map((d) => {
    const where = d.file ? `${relative(setups, d.file.fileName)}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}` : 'options';
    return `${where}: TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
  });
  const used = program
    .getSourceFiles()
    .map((file) => inPackage(file.fileName))
    .filter((file): file is string => file !== undefined);
  return { problems, used, read };
}

describe('TypeScript setups against the built package', { timeout: 60_000 }, () => {
  it('the virtual package holds the packed type declarations and not the sources', () => {
    expect(packed.has('dist/index.d.ts')).toBe(true);
    expect(packed.has('dist/index.d.cts')).toBe(true);
    expect(packed.has('miniprogram/package.json')).toBe(true);
    expect([...packed].filter((file) => file.startsWith('src/') || file.startsWith('test/'))).toEqual([]);
  });

  it('bundler: the ws snippet and the DOM WebSocket compile, with the ES module types', () => {
    const { problems, used } = compile('bundler');
    expect(problems).toEqual([]);
    expect(used).toContain('dist/index.d.ts');
    expect(used).not.toContain('dist/index.d.cts');
  });

  it('node16 from an ES module: the ws snippet and holdfast/server compile, with the ES module types', () => {
    const { problems, used } = compile('node16-esm');
    expect(problems).toEqual([]);
    expect(used).toEqual(expect.arrayContaining(['dist/index.d.ts', 'dist/server.d.ts']));
    expect(used.filter((file) => file.endsWith('.d.cts'))).toEqual([]);
  });

  it('node16 from CommonJS: the ws snippet and holdfast/server compile, with the CommonJS types', () => {
    const { problems, used } = compile('node16-cjs');
    expect(problems).toEqual([]);
    expect(used).toEqual(expect.arrayContaining(['dist/index.d.cts', 'dist/server.d.cts']));
    expect(used.filter((file) => file.endsWith('.d.ts'))).toEqual([]);
  });

  it('moduleResolution "node": holdfast and holdfast/miniprogram resolve without exports', () => {
    const { problems, used, read } = compile('node10');
    expect(problems).toEqual([]);
    expect(used).toEqual(expect.arrayContaining(['dist/index.d.ts', 'dist/miniprogram.d.ts']));
    expect(read.has('miniprogram/package.json')).toBe(true);
  });

  it('fails a setup whose package is missing an entry (the check can fail)', () => {
    const saved = packed;
    packed = new Set([...saved].filter((file) => file !== 'miniprogram/package.json'));
    try {
      const { problems } = compile('node10');
      expect(problems.some((p) => p.startsWith('node10/app.ts:2: TS2307:') && p.includes("'holdfast/miniprogram'"))).toBe(true);
    } finally {
      packed = saved;
    }
  });

  /** The fenced ts block right after `heading` in docs/miniprogram.md. */
  function docsBlock(heading: string): string {
    const doc = readFileSync(join(root, 'docs', 'miniprogram.md'), 'utf8');
    const at = doc.indexOf(`\n${heading}\n`);
    const match = at < 0 ? null : /```ts\n([^]*?)```/.exec(doc.slice(at));
    if (!match) throw new Error(`docs/miniprogram.md: no ts block under ${heading}`);
    return match[1] as string;
  }

  // Each platform's block of docs/miniprogram.md, compiled against the platform's official
  // typings (dev dependencies) instead of the `declare const wx: WxLike` the docs carry.
  const platforms = [
    { setup: 'mini-wechat', heading: '### WeChat (`wx`)', global: 'wx', typings: 'miniprogram-api-typings' },
    { setup: 'mini-uni', heading: '### uni-app (`uni`)', global: 'uni', typings: '@dcloudio/types' },
    { setup: 'mini-alipay', heading: '### Alipay (`my`)', global: 'my', typings: '@mini-types/alipay' },
    { setup: 'mini-douyin', heading: '### Douyin / ByteDance (`tt`)', global: 'tt', typings: '@douyin-microapp/typings' },
    { setup: 'mini-taro', heading: '### Taro', global: 'api', typings: '@tarojs/taro' },
  ];
  for (const { setup, heading, global, typings } of platforms) {
    it(`${setup}: the docs' code compiles against ${typings}, without the DOM lib where the platform has none`, () => {
      const app = readFileSync(join(setups, setup, 'app.ts'), 'utf8');
      const code = docsBlock(heading)
        .split('\n')
        .filter((line) => !new RegExp(`^declare const ${global}: \\w+Like;$`).test(line))
        .join('\n');
      expect(code).toContain(`(${global})`);
      expect(app).toContain(code);
      const { problems, used } = compile(setup);
      expect(problems).toEqual([]);
      expect(used).toContain('dist/miniprogram.d.ts');
    });
  }

  // Both fixes of issue 14, undone one at a time in the built declarations: each must fail its setup.
  const undone = [
    // @mini-types/alipay types onSocketOpen, onAppHide and the off* family with `() => void` listeners.
    { setup: 'mini-alipay', fixed: 'type PlatformCallback = (result?: unknown) => void;', broken: 'type PlatformCallback = (result: unknown) => void;' },
    // @douyin-microapp/typings: offAppShow/offAppHide/offNetworkStatusChange take a required listener.
    { setup: 'mini-douyin', fixed: 'offAppShow?(listener: PlatformCallback): void;', broken: 'offAppShow?(listener?: PlatformCallback): void;' },
  ];
  for (const { setup, fixed, broken } of undone) {
    it(`fails ${setup} with \`${broken}\` (the check can fail)`, () => {
      expect(readFileSync(join(root, 'dist', 'miniprogram.d.ts'), 'utf8')).toContain(fixed);
      const { problems } = compile(setup, (file, text) => (file.startsWith('dist/') ? text.replace(fixed, broken) : text));
      expect(problems.some((p) => p.startsWith(`${setup}/app.ts:`) && p.includes('TS2345'))).toBe(true);
    });
  }
});
