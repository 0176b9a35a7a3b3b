/**
 * The L2 agent's client of neutron-server's q-plugin endpoint (neutron.agent.rpc.PluginApi):
 * the one place that chooses call vs cast, the topic and the timeout of these methods.
 * All are calls: the agent needs the answer to wire its ports.
 */
import type { Bus } from '../../bus/bus.js';
import { type RpcClient, rpcClient } from '../../bus/contract.js';
import { type PluginTopic, PluginTopicDef } from '../rpc/topics.js';
import type { TunnelSyncArgs, TunnelSyncReply } from '../rpc/tunnel-wire.js';
import type { DeviceArgs, DeviceDownReply, DevicesDetailsArgs, DevicesDetailsReply, UpdateDeviceListArgs, UpdateDeviceListReply } from '../rpc/wire.js';

export class PluginApi {
  readonly #rpc: RpcClient<PluginTopic>;
  constructor(
    bus: Bus,
    /** rpc_response_timeout; the bus default (60 s) when absent. */
    private readonly timeoutMs?: number,
  ) {
    this.#rpc = rpcClient(bus, PluginTopicDef);
  }

  #call<M extends keyof PluginTopic>(method: M, args: PluginTopic[M]['args']): Promise<PluginTopic[M]['result']> {
    return this.#rpc.call(method, args, { timeoutMs: this.timeoutMs });
  }

  /** Details of many devices at once; ports bound here move to BUILD on the server. */
  getDevicesDetailsListAndFailedDevices(args: DevicesDetailsArgs): Promise<DevicesDetailsReply> {
    return this.#call('get_devices_details_list_and_failed_devices', args);
  }

  /** Reports devices up and down in one message. */
  updateDeviceList(args: UpdateDeviceListArgs): Promise<UpdateDeviceListReply> {
    return this.#call('update_device_list', args);
  }

  updateDeviceDown(args: DeviceArgs): Promise<DeviceDownReply> {
    return this.#call('update_device_down', args);
  }

  /** Registers this agent's tunnel endpoint; every endpoint of the type comes back. */
  tunnelSync(args: TunnelSyncArgs): Promise<TunnelSyncReply> {
    return this.#call('tunnel_sync', args);
  }
}
