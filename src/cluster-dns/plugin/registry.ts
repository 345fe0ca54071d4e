// Which setup function parses each directive. The order queries run in is directives.ts, not this.
import type { Controller } from './controller.ts';
import type { DirectiveName } from './directives.ts';
import type { Plugin } from './plugin.ts';
import { setupCache } from '../plugins/cache/setup.ts';
import { setupErrors } from '../plugins/errors/setup.ts';
import { setupForward } from '../plugins/forward/setup.ts';
import { setupHealth } from '../plugins/health/setup.ts';
import { setupHosts } from '../plugins/hosts/setup.ts';
import { setupKubernetes } from '../plugins/kubernetes/setup.ts';
import { setupLoadBalance } from '../plugins/loadbalance/setup.ts';
import { setupLog } from '../plugins/log/setup.ts';
import { setupLoop } from '../plugins/loop/setup.ts';
import { setupPrometheus } from '../plugins/prometheus/setup.ts';
import { setupReady } from '../plugins/ready/setup.ts';
import { setupReload } from '../plugins/reload/setup.ts';

export interface SetupEntry {
  /** Makes the plugin from every directive of this name in a server block. */
  setup(cs: readonly Controller[]): Plugin;
  /** May the directive appear more than once per server block? */
  multiple: boolean;
}

const once = (fn: (c: Controller) => Plugin): SetupEntry => ({
  setup: (cs) => {
    const c = cs[0];
    if (c === undefined) throw new Error('setup called without a directive');
    return fn(c);
  },
  multiple: false,
});

export const setups: Readonly<Record<DirectiveName, SetupEntry>> = {
  reload: once(setupReload),
  ready: once(setupReady),
  health: once(setupHealth),
  prometheus: once(setupPrometheus),
  errors: once(setupErrors),
  log: { setup: setupLog, multiple: true },
  loadbalance: once(setupLoadBalance),
  cache: once(setupCache),
  hosts: once(setupHosts),
  kubernetes: once(setupKubernetes),
  loop: once(setupLoop),
  forward: once(setupForward),
};
