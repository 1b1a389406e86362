// syslog(2), which C libraries call klogctl: the kernel's message log (libexoc/klog.ts), as
// Linux's do_syslog reads and clears it. With kernel.dmesg_restrict set (Debian's default),
// every action needs CAP_SYSLOG: root here.

import type { Sys } from "../types.js";
import { sysError } from "../../libexoc/errors.js";
import { WouldBlock } from "../../libexoc/blocking.js";
import { LOG_BUF_LEN } from "../../libexoc/klog.js";
import { capable, CAP_SYSLOG, CAP_SYS_ADMIN } from "../../libexoc/capability.js";

const CLOSE = 0, OPEN = 1, READ = 2, READ_ALL = 3, READ_CLEAR = 4, CLEAR = 5;
const CONSOLE_OFF = 6, CONSOLE_ON = 7, CONSOLE_LEVEL = 8, SIZE_UNREAD = 9, SIZE_BUFFER = 10;

export const syslog: Sys = (t, type, bufVa, len) => {
  if (!capable(t.proc, CAP_SYSLOG) && !capable(t.proc, CAP_SYS_ADMIN)) sysError("EPERM");
  const klog = t.sys.klog;
  const out = (text: string): number => {
    if (text.length > 0) t.mem.write(bufVa, Buffer.from(text, "latin1"));
    return text.length;
  };
  switch (type) {
    case CLOSE:
    case OPEN:
    case CONSOLE_OFF:
    case CONSOLE_ON:
      return 0;
    case READ: {
      if (bufVa === 0 || len < 0) sysError("EINVAL");
      if (len === 0) return 0;
      t.mem.check(bufVa, len, true);
      // (waits for a record; woken, the call runs again)
      if (klog.unread() === 0) throw new WouldBlock([klog.arrived]);
      return out(klog.read(len));
    }
    case READ_ALL:
    case READ_CLEAR: {
      if (bufVa === 0 || len < 0) sysError("EINVAL");
      if (len === 0) return 0;
      t.mem.check(bufVa, len, true);
      const n = out(klog.readAll(len));
      if (type === READ_CLEAR) klog.clear();
      return n;
    }
    case CLEAR:
      klog.clear();
      return 0;
    case CONSOLE_LEVEL:
      if (len < 1 || len > 8) sysError("EINVAL");
      return 0;
    case SIZE_UNREAD:
      return klog.unread();
    case SIZE_BUFFER:
      return LOG_BUF_LEN;
    default:
      return sysError("EINVAL");
  }
};
