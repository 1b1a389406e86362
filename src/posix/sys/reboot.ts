// reboot(2): a booted system's root halts, powers off or restarts the machine; whoever runs it
// (cli/boot.ts) stops, the disks synced (the caller syncs first if it wants its own writes in:
// reboot(2) itself does not, as on Linux). Under `exojit run` the program is a guest without
// CAP_SYS_BOOT, as in a container: EPERM. Linux's checks first: the capability, then the magic
// numbers (EINVAL).

import type { Sys } from "../types.js";
import { sysError } from "../../libexoc/errors.js";
import { WouldBlock, UNINTERRUPTIBLE } from "../../libexoc/blocking.js";
import { KERN_EMERG } from "../../libexoc/klog.js";
import { capable, CAP_SYS_BOOT } from "../../libexoc/capability.js";

const MAGIC1 = 0xfee1dead;
const MAGIC2 = [672274793, 85072278, 369367448, 537993216];
const CMD_RESTART = 0x01234567, CMD_HALT = 0xcdef0123, CMD_POWER_OFF = 0x4321fedc, CMD_RESTART2 = 0xa1b2c3d4;
const CMD_CAD_ON = 0x89abcdef, CMD_CAD_OFF = 0, CMD_SW_SUSPEND = 0xd000fce2, CMD_KEXEC = 0x45584543;

export const reboot: Sys = (t, magic1, magic2, cmd, arg) => {
  if (!capable(t.proc, CAP_SYS_BOOT) || !t.sys.rebootAllowed) sysError("EPERM");
  if (magic1 >>> 0 !== MAGIC1 || !MAGIC2.includes(magic2 >>> 0)) sysError("EINVAL");
  const sys = t.sys;
  switch (cmd >>> 0) {
    case CMD_CAD_ON:
    case CMD_CAD_OFF:
      // (Ctrl-Alt-Del: no such key reaches a guest here, so there is nothing to choose between)
      return 0;
    case CMD_RESTART:
    case CMD_RESTART2:
      if ((cmd >>> 0) === CMD_RESTART2) t.mem.cstring(arg, 256);
      sys.klog.log(KERN_EMERG, "reboot: Restarting system");
      sys.halt = "restart";
      break;
    case CMD_HALT:
      sys.klog.log(KERN_EMERG, "reboot: System halted");
      sys.halt = "halt";
      break;
    case CMD_POWER_OFF:
      sys.klog.log(KERN_EMERG, "reboot: Power down");
      sys.halt = "poweroff";
      break;
    case CMD_SW_SUSPEND:
      // (a kernel built without hibernation)
      return sysError("ENOSYS");
    case CMD_KEXEC:
      // (no kernel loaded to execute)
      return sysError("EINVAL");
    default:
      return sysError("EINVAL");
  }
  // The call does not return: the caller waits, uninterruptibly, while the machine stops.
  throw new WouldBlock([], null, UNINTERRUPTIBLE);
};
