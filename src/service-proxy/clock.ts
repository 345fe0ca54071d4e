// The proxy's clock is the client library's (one Clock for every component); re-exported so the
// proxy's files keep one local import.
export { realClock, type Clock, type Timer } from '../client/clock.ts';
