/**
 * The clock the client core schedules through (the socket keeps its timers in named slots, in
 * `socket.ts`), re-exported for the core's modules.
 */
export { systemClock, type Clock } from '../protocol/clock';
