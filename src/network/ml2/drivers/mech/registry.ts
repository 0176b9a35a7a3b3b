/** The mechanism drivers by ml2.mechanism_drivers name (neutron.ml2.mechanism_drivers entry points). */
import { LinuxbridgeMechanismDriver } from './linuxbridge.js';
import type { MechanismDriver } from './mech-driver.js';
import { OpenvswitchMechanismDriver } from './openvswitch.js';

export const MECHANISM_DRIVERS: Readonly<Record<string, () => MechanismDriver>> = {
  openvswitch: () => new OpenvswitchMechanismDriver(),
  linuxbridge: () => new LinuxbridgeMechanismDriver(),
};
