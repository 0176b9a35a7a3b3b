/**
 * The L2 agent's client of neutron-server's q-plugin endpoint (neutron.agent.rpc.PluginApi):
 * the one place that chooses call vs cast, the topic and the timeout of these methods.
 * All are calls: the agent needs the answer to wire its ports.
 */
import type { Bus } from '../../bus/bus.js';
import { Topics } from '../../bus/topics.js';
import type { DeviceArgs, DeviceDownReply, DevicesDetailsArgs, DevicesDetailsReply, UpdateDeviceListArgs, UpdateDeviceListReply } from '../rpc/wire.js';

export class PluginApi {
  constructor(
    private readonly bus: Bus,
    /** rpc_response_timeout; the bus default (60 s) when absent. */
    private readonly timeoutMs?: number,
  ) {}

  #call<R>(method: string, args: unknown): Promise<R> {
    return this.bus.call<R>({ topic: Topics.plugin }, method, args, { timeoutMs: this.timeoutMs });
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
}
