import { describe, expect, it } from 'vitest';
import { canTransition, TRANSITIONS, type State } from '../../src/core/state';

const STATES: State[] = ['connecting', 'open', 'reconnecting', 'closing', 'closed'];

describe('state table', () => {
  it('allows the reconnect cycle connecting -> open -> reconnecting -> connecting', () => {
    expect(canTransition('connecting', 'open')).toBe(true);
    expect(canTransition('open', 'reconnecting')).toBe(true);
    expect(canTransition('reconnecting', 'connecting')).toBe(true);
  });

  it('lets close() end from every live state, through closing only when open', () => {
    expect(canTransition('open', 'closing')).toBe(true);
    expect(canTransition('closing', 'closed')).toBe(true);
    expect(canTransition('connecting', 'closed')).toBe(true);
    expect(canTransition('reconnecting', 'closed')).toBe(true);
    expect(canTransition('connecting', 'closing')).toBe(false);
  });

  it('leaves closed only for connecting (start() on a stopped socket)', () => {
    expect(STATES.filter((to) => canTransition('closed', to))).toEqual(['connecting']);
    expect(TRANSITIONS.closed).toEqual(['connecting']);
  });

  it('never lets a socket skip straight from reconnecting to open', () => {
    expect(canTransition('reconnecting', 'open')).toBe(false);
    expect(canTransition('closing', 'open')).toBe(false);
  });

});
