// The code in the documentation is checked against the real sources: every ```ts / ```typescript
// block of README.md and docs/*.md is compiled as its own module, strictly, with `holdfast`,
// `holdfast/miniprogram` and `holdfast/server` mapped to src/. A block that is a fragment on
// purpose carries `<!-- not compiled: <reason> -->` on the line right before its fence.
// The blocks are compiled in memory (nothing is written to disk) under names next to the repo's
// root, so that `ws` and `@types/node` resolve from its node_modules as they would in an app.
// The pages ship in the npm package: a link in a shipped page must lead to a shipped file, and
// no shipped page may send its reader to the repository's sources or tests, which do not ship.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** One fenced code block. `line` is the 1-based line of its first code line in `doc`. */
interface Block {
  readonly doc: string;
  readonly line: number;
  readonly lang: string;
  readonly code: string;
  /** The reason given in a `<!-- not compiled: … -->` marker, when there is one. */
  readonly skip?: string;
}

const FENCE = /^(\s*)(`{3,}|~{3,})\s*([\w+-]*)/;
const SKIP = /^\s*<!--\s*not compiled:\s*(.*?)\s*-->\s*$/;
const TS = new Set(['ts', 'typescript']);

/** Every fenced block of a markdown text, with its indentation removed. */
function blocksOf(doc: string, text: string): Block[] {
  const lines = text.split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i] as string);
    if (!open) continue;
    const [, indent = '', fence = '', lang = ''] = open;
    const body: string[] = [];
    let end = i + 1;
    for (; end < lines.length; end++) {
      const line = lines[end] as string;
      if (line.trim().startsWith(fence) && line.trim().replace(/[`~]/g, '') === '') break;
      body.push(line.startsWith(indent) ? line.slice(indent.length) : line.trimStart());
    }
    const marker = i > 0 ? SKIP.exec(lines[i - 1] as string) : null;
    blocks.push({ doc, line: i + 2, lang: lang.toLowerCase(), code: body.join('\n'), ...(marker ? { skip: marker[1] as string } : {}) });
    i = end;
  }
  return blocks;
}

const docFiles = ['README.md', ...readdirSync(join(root, 'docs')).filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`)];
const texts = new Map(docFiles.map((doc) => [doc, readFileSync(join(root, doc), 'utf8')]));
/** The package's files as `npm pack` lists them (relative, `/`-separated; dist/ only once built). */
const [packReport] = JSON.parse(
  execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8', timeout: 60_000 }),
) as { files: { path: string }[] }[];
const shipped = new Set(packReport!.files.map((file) => file.path));

const all = docFiles.flatMap((doc) => blocksOf(doc, texts.get(doc) as string));
const tsBlocks = all.filter((block) => TS.has(block.lang));
const compiled = tsBlocks.filter((block) => block.skip === undefined);
const skipped = tsBlocks.filter((block) => block.skip !== undefined);

/**
 * A snippet that must fail: `request()` comes with `rpc()`, so a socket without it has none.
 * Compiled in the same program as the docs, which proves the check reports what is wrong.
 */
const BROKEN: Block = {
  doc: 'broken.md',
  line: 10,
  lang: 'ts',
  code: ["import { connect } from 'holdfast';", "const socket = connect('wss://example.com/');", "await socket.request('echo', 1);"].join('\n'),
};

const OPTIONS: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  moduleDetection: ts.ModuleDetectionKind.Force,
  lib: ['lib.es2022.d.ts', 'lib.dom.d.ts', 'lib.dom.iterable.d.ts'],
  types: ['node'],
  typeRoots: [join(root, 'node_modules', '@types')],
  strict: true,
  noImplicitOverride: true,
  noFallthroughCasesInSwitch: true,
  useUnknownInCatchVariables: true,
  noUnusedLocals: false,
  noUnusedParameters: false,
  skipLibCheck: true,
  esModuleInterop: true,
  noEmit: true,
  paths: {
    holdfast: [join(root, 'src', 'index.ts')],
    'holdfast/miniprogram': [join(root, 'src', 'miniprogram', 'index.ts')],
    'holdfast/server': [join(root, 'src', 'server', 'index.ts')],
  },
};

const virtualDir = join(root, '.docs-blocks');
const fileOf = (block: Block): string => join(virtualDir, `${block.doc.replace(/[/.]/g, '_')}_${block.line}.ts`);

interface Problem {
  readonly where: string;
  readonly message: string;
}

/** Compiles the blocks in one program; returns the problems of each block, and any outside them. */
function check(blocks: readonly Block[]): { byBlock: Map<Block, Problem[]>; elsewhere: Problem[] } {
  const files = new Map(blocks.map((block) => [fileOf(block), block]));
  const host = ts.createCompilerHost(OPTIONS, true);
  const { getSourceFile, fileExists, readFile } = host;
  host.fileExists = (name) => files.has(name) || fileExists.call(host, name);
  host.readFile = (name) => files.get(name)?.code ?? readFile.call(host, name);
  host.getSourceFile = (name, language, onError, create) => {
    const block = files.get(name);
    return block ? ts.createSourceFile(name, block.code, language, true, ts.ScriptKind.TS) : getSourceFile.call(host, name, language, onError, create);
  };
  const program = ts.createProgram({ rootNames: [...files.keys()], options: OPTIONS, host });
  const byBlock = new Map<Block, Problem[]>(blocks.map((block) => [block, []]));
  const elsewhere: Problem[] = [];
  // Only the blocks are checked (the sources have `npm run typecheck`); what they use of the
  // sources is still type-checked, through them.
  const diagnostics = [
    ...program.getOptionsDiagnostics(),
    ...program.getGlobalDiagnostics(),
    ...[...files.keys()].flatMap((name) => {
      const file = program.getSourceFile(name);
      return file ? [...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file)] : [];
    }),
  ];
  for (const d of diagnostics) {
    const message = `TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
    const block = d.file ? files.get(d.file.fileName) : undefined;
    if (block && d.file && d.start !== undefined) {
      const line = block.line + d.file.getLineAndCharacterOfPosition(d.start).line;
      byBlock.get(block)?.push({ where: `${block.doc}:${line} (block at line ${block.line})`, message });
    } else {
      const where = d.file ? `${relative(root, d.file.fileName)}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}` : 'options';
      elsewhere.push({ where, message });
    }
  }
  return { byBlock, elsewhere };
}

describe('documentation code blocks', () => {
  it('finds every ts block of README.md and docs/*.md', () => {
    const fences = [...texts.values()].reduce((n, text) => n + (text.match(/^\s*(`{3,}|~{3,})\s*(ts|typescript)\s*$/gim)?.length ?? 0), 0);
    expect(tsBlocks.length).toBe(fences);
    expect(compiled.length).toBeGreaterThan(30);
    for (const doc of ['README.md', 'docs/features.md', 'docs/rpc.md', 'docs/connection.md']) {
      expect(compiled.some((block) => block.doc === doc), doc).toBe(true);
    }
  });

  it('gives a reason for every block it does not compile', () => {
    const markers = [...texts.values()].reduce((n, text) => n + (text.match(/^\s*<!--\s*not compiled\b.*-->\s*$/gm)?.length ?? 0), 0);
    expect(skipped.filter((block) => (block.skip ?? '').length < 8).map((block) => `${block.doc}:${block.line}`)).toEqual([]);
    // A marker that does not sit right before a ts fence would silently mean nothing.
    expect(skipped.length).toBe(markers);
  });

  /** Problems of the links in `texts` (a map from doc to text), given the files that ship. */
  function brokenLinks(pages: ReadonlyMap<string, string>, files: ReadonlySet<string>): string[] {
    // GitHub's anchors: the heading in lower case, without punctuation, spaces as hyphens.
    const slug = (heading: string): string => heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
    const anchors = (doc: string): Set<string> =>
      new Set(
        (pages.get(doc) ?? '')
          .replace(/^([ \t]*)(`{3,})[^]*?^\1\2[ \t]*$/gm, '') // no headings inside code blocks
          .split('\n')
          .filter((line) => /^#{1,6} /.test(line))
          .map((line) => slug(line.replace(/^#+ /, ''))),
      );
    const broken: string[] = [];
    for (const [doc, text] of pages) {
      const ships = files.has(doc);
      for (const [, target = ''] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/i.test(target)) continue; // https:, mailto:
        const [path = '', anchor] = target.split('#');
        const file = path === '' ? doc : join(dirname(doc), path).replace(/\\/g, '/');
        // From a shipped page, only what ships; from a repository-only page, what the repository has.
        const exists = ships ? files.has(file) || [...files].some((f) => f.startsWith(`${file}/`)) : existsInRepo(file);
        if (!exists) broken.push(`${doc}: ${target}${ships ? ' (not in the package)' : ''}`);
        else if (anchor !== undefined && (!pages.has(file) || !anchors(file).has(anchor))) broken.push(`${doc}: ${target}`);
      }
    }
    return broken;
  }
  const existsInRepo = (file: string): boolean => existsSync(join(root, file));

  it('ships README.md and every page but the repository-only development.md', () => {
    expect(docFiles.filter((doc) => !shipped.has(doc))).toEqual(['docs/development.md']);
  });

  it('links only to files and headings that exist, and from a shipped page only to shipped files', () => {
    expect(brokenLinks(texts, shipped)).toEqual([]);
    // The same check fails links to the sources and tests, to a missing heading, and to a
    // page that does not ship.
    const wrong = new Map([
      ['docs/wrong.md', '[a](../src/core/state.ts) [b](../test/core/feature.test.ts) [c](api.md#no-such-heading) [d](development.md)'],
      ...texts,
    ]);
    expect(brokenLinks(wrong, new Set([...shipped, 'docs/wrong.md']))).toEqual([
      'docs/wrong.md: ../src/core/state.ts (not in the package)',
      'docs/wrong.md: ../test/core/feature.test.ts (not in the package)',
      'docs/wrong.md: api.md#no-such-heading',
      'docs/wrong.md: development.md (not in the package)',
    ]);
  });

  it('sends no reader of a shipped page to files that do not ship or to the project\'s own notes', () => {
    // Naming a source or test file, or the project's CONTRACT.md, in a shipped page points at
    // something its reader does not have.
    const unshipped = (text: string): string[] =>
      [...text.matchAll(/\b(?:(?:src|test|bench|scripts)\/[\w./-]*\.(?:ts|mts|cts|mjs|cjs|js)|CONTRACT\.md)\b/g)].map((m) => m[0]);
    const mentions = [...texts].filter(([doc]) => shipped.has(doc)).flatMap(([doc, text]) => unshipped(text).map((name) => `${doc}: ${name}`));
    expect(mentions).toEqual([]);
    // The pattern does find such names: the repository-only page is full of them.
    expect(unshipped(texts.get('docs/development.md') ?? '')).toEqual(expect.arrayContaining(['test/build/docs.test.ts', 'test/server/frame.fuzz.test.ts']));
    expect(unshipped('The shapes are in `CONTRACT.md`, the table in `src/core/state.ts`.')).toEqual(['CONTRACT.md', 'src/core/state.ts']);
  });

  it('compiles every ts block against the sources, strictly, and fails a wrong one', { timeout: 60_000 }, () => {
    const { byBlock, elsewhere } = check([...compiled, BROKEN]);
    const broken = byBlock.get(BROKEN) ?? [];
    expect(broken.map((p) => p.where)).toContain('broken.md:12 (block at line 10)');
    expect(broken.some((p) => p.message.includes("Property 'request' does not exist"))).toBe(true);
    const problems = [...byBlock].filter(([block]) => block !== BROKEN).flatMap(([, list]) => list);
    expect([...problems, ...elsewhere].map((p) => `${p.where}: ${p.message}`)).toEqual([]);
  });
});
