// Fakes the proxy's tests (and other components' tests) import: the client library's clock that
// moves only when told. Backend fakes (in-memory iptables, nftables, conntrack) live beside their backends.
export { FakeClock, flushMicrotasks } from '../client/clock.ts';
