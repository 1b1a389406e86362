// Device numbers of volumes that have no device (tmpfs mounts): major 0, as Linux's anonymous
// devices, from a minor above those the system's own volumes use (proc 0:21, devtmpfs 0:5).

import { makeDev } from "../vfs/devices.js";

let nextMinor = 40;

export function anonDev(): bigint {
  return makeDev(0, nextMinor++);
}
