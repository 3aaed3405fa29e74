export { fakeWx } from './wx';
export { fakeUni } from './uni';
export { fakeMy } from './my';
export { fakeTt } from './tt';
export { FakeRuntime, FakeTask, foreignArrayBuffer, type Fake, type FakeConfig, type LogEntry } from './core';
export { fakeTaro } from './taro';
