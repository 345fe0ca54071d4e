// The loop plugin: at start it sends `<random>.<random>.<zone> HINFO` to its own server; seeing that
// query come back more than twice means forward sends queries back to this server. CoreDNS then
// exits; Switchboard runs the DNS inside `switchboard up`, so instead it logs the same message,
// counts switchboard_dns_loop_detected_total and answers SERVFAIL for everything that reaches it,
// which cuts the loop and leaves the cluster names (answered before forward) working.
import type { Logger } from '../../plugin/controller.ts';
import type { LoopMetrics } from '../../metrics/coredns.ts';
import type { Handler, Next, Reply, Request } from '../../plugin/plugin.ts';
import { rcodeReply } from '../../plugin/plugin.ts';
import { Rcode, Type } from '../../dns/types.ts';

export class Loop implements Handler {
  readonly name = 'loop';
  /** The probe name, lower case. */
  readonly probeName: string;
  private readonly zone: string;
  private readonly log: Logger;
  private readonly m: LoopMetrics;
  private seen = 0;
  private broken = false;
  private done = false;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(zone: string, random: () => number, log: Logger, metrics: LoopMetrics) {
    this.zone = zone;
    const r = () => String(Math.floor(random() * 9e15) + 1e15);
    this.probeName = `${r()}.${r()}.${zone === '.' ? '' : zone}`;
    this.log = log;
    this.m = metrics;
  }

  /** True after a loop was detected. */
  get detected(): boolean {
    return this.broken;
  }

  async serve(req: Request, next: Next): Promise<Reply> {
    if (this.broken) return rcodeReply(req, Rcode.SERVFAIL, this.name, new Error('plugin/loop: forwarding loop detected earlier; not forwarding'));
    if (req.qtype === Type.HINFO && req.name === this.probeName) {
      this.seen++;
      if (this.seen > 2) {
        this.broken = true;
        this.m.detected.inc({ zone: this.zone });
        this.log('error', `plugin/loop: Loop (${req.remote.address}:${req.remote.port} -> ${req.server}) detected for zone "${this.zone}", see https://coredns.io/plugins/loop#troubleshooting. Query: "HINFO ${this.probeName}"`);
        return rcodeReply(req, Rcode.SERVFAIL, this.name);
      }
    }
    return next(req);
  }

  /** Sends the probe (retrying every 2 s for up to 30 s until an answer comes back). */
  start(probe: (name: string, type: number) => Promise<void>): void {
    const deadline = Date.now() + 30_000;
    const attempt = () => {
      this.timer = undefined;
      if (this.done) return;
      probe(this.probeName, Type.HINFO).then(() => { this.done = true; }, () => {
        if (this.done || Date.now() > deadline) return;
        this.timer = setTimeout(attempt, 2000);
        this.timer.unref();
      });
    };
    attempt();
  }

  stop(): void {
    this.done = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
  }
}
