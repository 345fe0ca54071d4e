// The node agent: Pods as real processes on this machine (network namespaces as root, plain
// processes otherwise), with probes, status, logs and exec. `startNodeAgent` is what `switchboard up`
// and `switchboard agent` call.
import { Client } from '../client/rest.ts';
import { loadKubeconfig } from '../client/kubeconfig.ts';
import type { ApiClient } from '../client/types.ts';
import { NodeAgent, type AgentOptions } from './agent.ts';
import { localPodIO, type PodIOHandlers } from './podio.ts';
import { AgentServer, type AgentServerOptions } from './server.ts';

export { NodeAgent, type AgentOptions } from './agent.ts';
export { localPodIO, type PodIOHandlers } from './podio.ts';
export { remotePodIO, routePodIO, nodeEndpoint, type RemotePodIOOptions } from './remote.ts';
export { AgentServer } from './server.ts';

export interface StartNodeAgentOptions extends Omit<AgentOptions, 'client'> {
  /** An API client; or give `kubeconfig`. */
  client?: ApiClient;
  /** Path of a kubeconfig (`switchboard agent --kubeconfig K`). */
  kubeconfig?: string;
  /**
   * Serve logs and exec on the agent's own HTTPS port (the kubelet's :10250), for an API server in
   * another process. `token`: the bearer token callers must present.
   */
  serve?: AgentServerOptions;
}

export interface RunningNodeAgent {
  nodeName: string;
  /** 'netns' or 'host' (what the runtime really is). */
  network: string;
  podCIDR: string;
  /** For ApiServerOptions.podIO when the agent runs in the API server's process. */
  podIO: PodIOHandlers;
  /** The agent's HTTPS address when `serve` was given. */
  serverURL: string | undefined;
  agent: NodeAgent;
  /** Stops every Pod process and removes every namespace, interface, route and rule the agent made. */
  stop(): Promise<void>;
}

/** Starts a node agent: registers the Node, sets up the network and runs the Pods bound to it. */
export async function startNodeAgent(opts: StartNodeAgentOptions): Promise<RunningNodeAgent> {
  let client = opts.client;
  let ownClient = false;
  if (client === undefined) {
    if (opts.kubeconfig === undefined) throw new Error('startNodeAgent: give a client or a kubeconfig');
    client = new Client(loadKubeconfig(opts.kubeconfig), { userAgent: 'switchboard-node-agent/0.1' });
    ownClient = true;
  }
  let server: AgentServer | undefined;
  const agentOpts: AgentOptions = { ...opts, client };
  const agent = new NodeAgent(agentOpts);
  if (opts.serve !== undefined) {
    server = new AgentServer(agent, opts.serve);
    agentOpts.kubeletPort = await server.start();
  }
  try {
    await agent.start();
  } catch (err) {
    await agent.stop().catch(() => {});
    await server?.stop();
    if (ownClient) client.close();
    throw err;
  }
  return {
    nodeName: agent.nodeName,
    network: agent.mode,
    podCIDR: agent.podCIDR,
    podIO: localPodIO(agent),
    serverURL: server?.url,
    agent,
    async stop() {
      await server?.stop();
      await agent.stop();
      if (ownClient) client.close();
    },
  };
}
