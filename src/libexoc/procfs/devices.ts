// /proc/devices: the major numbers with a driver, character devices then block devices, as
// Linux's chrdev_show and blkdev_show print them ("%3d %s"), under the names Linux registers
// for the minors exojit has drivers for (major 5 is /dev/tty, /dev/console and /dev/ptmx, each
// a region of its own). A major exojit drives that Linux names otherwise prints under the
// driver's own name.

import type { System } from "../system.js";

/** Linux 6.1's registered regions [name, first minor, last minor] of the majors exojit's
 *  drivers use, in its order. */
const LINUX_REGIONS: Record<"char" | "block", Record<number, [string, number, number][]>> = {
  char: {
    1: [["mem", 0, 255]],
    4: [["/dev/vc/0", 0, 0], ["tty", 1, 63], ["ttyS", 64, 255]],
    5: [["/dev/tty", 0, 0], ["/dev/console", 1, 1], ["/dev/ptmx", 2, 2]],
    10: [["misc", 0, 255]],
    136: [["pts", 0, 1 << 20]],
  },
  block: {
    7: [["loop", 0, 1 << 20]],
    8: [["sd", 0, 1 << 20]],
  },
};

export function devicesText(sys: System): string {
  const drivers = sys.devices.list();
  const section = (kind: "char" | "block"): string => {
    const rows: [number, string][] = [];
    const majors = [...new Set(drivers.filter(([k]) => k === kind).map(([, major]) => major))].sort((a, b) => a - b);
    for (const major of majors) {
      const own = drivers.filter(([k, m]) => k === kind && m === major);
      const regions = LINUX_REGIONS[kind][major];
      if (regions === undefined) {
        rows.push([major, own[0][3]]);
        continue;
      }
      // (a region is listed when a driver covers one of its minors, or the whole major)
      for (const [name, lo, hi] of regions) if (own.some(([, , minor]) => minor === "*" || (minor >= lo && minor <= hi))) rows.push([major, name]);
    }
    return rows.map(([major, name]) => `${String(major).padStart(3)} ${name}\n`).join("");
  };
  return `Character devices:\n${section("char")}\nBlock devices:\n${section("block")}`;
}
