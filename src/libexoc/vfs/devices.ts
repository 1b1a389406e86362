// The device registry: what opening a device node means. A node (S_IFCHR or S_IFBLK, on any
// volume) names a device by its number (major, minor); the VFS opens it through the driver
// registered for that number, never through the host (a host /dev/sda in a --root directory is
// just a number here). Character and block devices are separate name spaces, as in POSIX.
//
// Drivers register for one minor or for every minor of a major (terminals: 4,N). A number no
// driver claims opens with ENXIO, as Linux answers for a device without a driver.

import { sysError } from "../errors.js";
import type { FileStat, OpenFile, OpenMode } from "../file.js";
import type { FsCaller } from "../volume.js";

export type DeviceKind = "char" | "block";

/** A device number as st_dev and st_rdev hold it (glibc's makedev: the 12-bit major and 20-bit
 *  minor split as Linux's new_encode_dev does, wider majors above). */
export function makeDev(major: number, minor: number): bigint {
  const M = BigInt(major), m = BigInt(minor);
  return (m & 0xffn) | ((M & 0xfffn) << 8n) | ((m & ~0xffn) << 12n) | ((M & ~0xfffn) << 32n);
}

export function devMajor(dev: bigint): number {
  return Number(((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn));
}

export function devMinor(dev: bigint): number {
  return Number((dev & 0xffn) | ((dev >> 12n) & ~0xffn));
}

/** What a driver gets when its device is opened. */
export interface DeviceOpen {
  kind: DeviceKind;
  major: number;
  minor: number;
  /** The guest path it was opened by (for /proc/PID/fd and traces). */
  path: string;
  mode: OpenMode;
  /** O_NOCTTY: a terminal must not become the caller's controlling terminal. */
  noctty: boolean;
  who: FsCaller;
  /** The device node's status now (fstat of the open device reports it). */
  stat: () => FileStat;
}

export interface DeviceDriver {
  /** A name for traces and /proc/devices. */
  readonly name: string;
  /** Opens the device: a new description (or throws a SysError: ENXIO, EBUSY, EACCES...). */
  open(o: DeviceOpen): OpenFile;
}

export class DeviceRegistry {
  private readonly drivers = new Map<string, DeviceDriver>();

  private static key(kind: DeviceKind, major: number, minor: number | "*"): string {
    return `${kind}:${major}:${minor}`;
  }

  /** Registers `driver` for device (major, minor), or every minor of `major` with "*"; it
   *  replaces a driver registered there before. */
  register(kind: DeviceKind, major: number, minor: number | "*", driver: DeviceDriver): void {
    this.drivers.set(DeviceRegistry.key(kind, major, minor), driver);
  }

  unregister(kind: DeviceKind, major: number, minor: number | "*"): void {
    this.drivers.delete(DeviceRegistry.key(kind, major, minor));
  }

  /** The driver of a device: the one registered for its minor, else for its whole major. */
  lookup(kind: DeviceKind, major: number, minor: number): DeviceDriver | undefined {
    return this.drivers.get(DeviceRegistry.key(kind, major, minor)) ?? this.drivers.get(DeviceRegistry.key(kind, major, "*"));
  }

  /** Opens device `rdev` through its driver (ENXIO without one). */
  open(kind: DeviceKind, rdev: bigint, o: Omit<DeviceOpen, "kind" | "major" | "minor">): OpenFile {
    const major = devMajor(rdev), minor = devMinor(rdev);
    const d = this.lookup(kind, major, minor);
    if (d === undefined) return sysError("ENXIO", `no driver for ${kind} device ${major},${minor}`);
    return d.open({ ...o, kind, major, minor });
  }

  /** Registered devices, for /proc/devices-like listings: [kind, major, minor or "*", name]. */
  list(): [DeviceKind, number, number | "*", string][] {
    return [...this.drivers].map(([k, d]) => {
      const [kind, major, minor] = k.split(":");
      return [kind as DeviceKind /* keys are made by key() above */, Number(major), minor === "*" ? "*" : Number(minor), d.name];
    });
  }
}
