// A 16550A UART (National Semiconductor's serial port with 16-byte FIFOs), modelled at the
// register level: eight byte-wide registers at offsets 0-7 from its base port, read and written
// through read(offset) and write(offset, value) only, so a full-system guest can drive it
// through I/O ports (COM1 is 0x3f8, IRQ 4) and the exokernel's console capability drives it the
// same way. The line is a backend: characters the transmitter shifts out go to it, and the
// host side hands received characters, breaks and modem input lines to the device.
//
// Time is external: one tick() is one character time. A character written to THR moves at
// once into the transmit shift register if that is empty (THR is free again at once, as on the
// chip) and leaves for the backend at the next tick; later ones wait in the transmit FIFO (or
// the one-byte THR when FIFOs are off). In FIFO mode the receiver reports a character timeout
// when characters sit below the trigger level for four ticks without being read or added to.
//
// Interrupts, highest priority first, each enabled by an IER bit:
//   receiver line status (OE, PE, FE, BI)   IIR 0x06, cleared by reading LSR
//   received data at the trigger level      IIR 0x04, cleared when the FIFO drops below it
//   character timeout (FIFO mode)           IIR 0x0c, cleared by reading RBR
//   transmitter holding register empty      IIR 0x02, cleared by reading IIR or writing THR
//   modem status (a delta bit in MSR)       IIR 0x00, cleared by reading MSR
// The interrupt output reaches the PC's interrupt controller only while MCR's OUT2 is set;
// `irq` is that gated line and `onIrq` hears when it changes.
//
// Loopback (MCR bit 4): transmitted characters come back to the receiver instead of the
// backend, and the modem inputs follow the outputs (CTS=RTS, DSR=DTR, RI=OUT1, DCD=OUT2).

/** Register offsets from the base port. */
export const UART_RBR = 0; // receiver buffer (read, DLAB=0)
export const UART_THR = 0; // transmitter holding register (write, DLAB=0)
export const UART_DLL = 0; // divisor latch, low byte (DLAB=1)
export const UART_IER = 1; // interrupt enable (DLAB=0)
export const UART_DLM = 1; // divisor latch, high byte (DLAB=1)
export const UART_IIR = 2; // interrupt identification (read)
export const UART_FCR = 2; // FIFO control (write)
export const UART_LCR = 3; // line control
export const UART_MCR = 4; // modem control
export const UART_LSR = 5; // line status
export const UART_MSR = 6; // modem status
export const UART_SCR = 7; // scratch

/** IER: which conditions interrupt. */
export const IER_RDI = 0x01; // received data available (and character timeout)
export const IER_THRI = 0x02; // transmitter holding register empty
export const IER_RLSI = 0x04; // receiver line status
export const IER_MSI = 0x08; // modem status
const IER_MASK = 0x0f; // the upper four bits read as zero on a 16550A

/** IIR: the pending interrupt of highest priority. */
export const IIR_NO_INT = 0x01; // bit 0 set: nothing pending
export const IIR_MSI = 0x00; // modem status changed
export const IIR_THRI = 0x02; // transmitter holding register empty
export const IIR_RDI = 0x04; // received data at the trigger level
export const IIR_RLSI = 0x06; // receiver line status
export const IIR_TIMEOUT = 0x0c; // character timeout
export const IIR_FIFOS = 0xc0; // both bits set while FIFOs are enabled

/** FCR: FIFO control (write only). */
export const FCR_ENABLE = 0x01; // enable both FIFOs; other bits are ignored without it
export const FCR_CLEAR_RX = 0x02; // empty the receive FIFO (self-clearing)
export const FCR_CLEAR_TX = 0x04; // empty the transmit FIFO (self-clearing)
export const FCR_DMA = 0x08; // DMA mode select (no effect here: there is no DMA)
export const FCR_TRIGGER = 0xc0; // receive trigger level: 1, 4, 8 or 14 characters
const TRIGGER_LEVELS = [1, 4, 8, 14];

/** LCR: line format. */
export const LCR_WLEN = 0x03; // word length 5 + n bits
export const LCR_STOP = 0x04; // two stop bits (1.5 with 5-bit words)
export const LCR_PARITY = 0x08; // parity enable
export const LCR_EPAR = 0x10; // even parity
export const LCR_SPAR = 0x20; // stick parity
export const LCR_SBC = 0x40; // set break: the line is held at space
export const LCR_DLAB = 0x80; // offsets 0 and 1 reach the divisor latch

/** MCR: modem control outputs. */
export const MCR_DTR = 0x01;
export const MCR_RTS = 0x02;
export const MCR_OUT1 = 0x04;
export const MCR_OUT2 = 0x08; // on a PC: gates the interrupt line
export const MCR_LOOP = 0x10;
const MCR_MASK = 0x1f;

/** LSR: line status. */
export const LSR_DR = 0x01; // data ready
export const LSR_OE = 0x02; // overrun error: a character was lost
export const LSR_PE = 0x04; // parity error (of the character at the FIFO's top)
export const LSR_FE = 0x08; // framing error (of the character at the FIFO's top)
export const LSR_BI = 0x10; // break interrupt (the character at the FIFO's top is a break)
export const LSR_THRE = 0x20; // transmitter holding register (or FIFO) empty
export const LSR_TEMT = 0x40; // transmitter empty: holding register and shift register
export const LSR_FIFOE = 0x80; // some character in the receive FIFO has an error
const LSR_ERRORS = LSR_OE | LSR_PE | LSR_FE | LSR_BI;

/** MSR: modem status; the high nibble is the input lines, the low nibble their changes. */
export const MSR_DCTS = 0x01;
export const MSR_DDSR = 0x02;
export const MSR_TERI = 0x04; // trailing edge of RI (it went from on to off)
export const MSR_DDCD = 0x08;
export const MSR_CTS = 0x10;
export const MSR_DSR = 0x20;
export const MSR_RI = 0x40;
export const MSR_DCD = 0x80;
const MSR_LINES = 0xf0;

/** Per-character receive flags (kept beside each byte of the receive FIFO). */
export const RX_PARITY = LSR_PE, RX_FRAMING = LSR_FE, RX_BREAK = LSR_BI;

export const FIFO_SIZE = 16;
/** Base clock over 16: the baud rate of divisor 1. */
export const UART_BASE_BAUD = 115200;
/** Ticks without receive activity before a character timeout (four character times). */
const TIMEOUT_TICKS = 4;

/** The serial line the UART is attached to. */
export interface UartBackend {
  /** A character left the transmitter (only the low word-length bits are meaningful). */
  transmit(byte: number): void;
  /** The transmitter started or stopped sending a break (LCR's set-break bit). */
  breakChanged?(on: boolean): void;
  /** The modem control outputs changed (MCR's DTR, RTS, OUT1, OUT2 bits). */
  controlChanged?(mcr: number): void;
}

// Layout of the state array (getState/setState copy it whole).
const S_IER = 0, S_LCR = 1, S_MCR = 2, S_LSR = 3, S_MSR = 4, S_SCR = 5, S_DLL = 6, S_DLM = 7;
const S_FCR = 8; // FCR_ENABLE | trigger bits, as last programmed
const S_THRI = 9; // the THR-empty interrupt is pending
const S_RX_HEAD = 10, S_RX_COUNT = 11, S_TX_HEAD = 12, S_TX_COUNT = 13;
const S_TSR_FULL = 14, S_TSR = 15;
const S_IDLE = 16; // ticks since the receive FIFO last changed
const S_INPUTS = 17; // modem input lines the backend drives (MSR high-nibble bits)
const S_IRQ = 18; // the gated interrupt line as last reported
const S_RX = 32, S_RX_FLAGS = S_RX + FIFO_SIZE, S_TX = S_RX_FLAGS + FIFO_SIZE;
const STATE_SIZE = S_TX + FIFO_SIZE;

export class Uart16550 {
  /** All device state: registers, FIFOs and their indices (see the S_* offsets). */
  private readonly s = new Uint8Array(STATE_SIZE);
  /** Called when the gated interrupt line changes level. */
  onIrq: ((level: boolean) => void) | null = null;
  /** Characters lost because the receive FIFO (or RBR) was full. */
  overruns = 0;

  constructor(private readonly backend: UartBackend) {
    this.reset();
  }

  /** The state after a hardware reset (MR pin): registers cleared, transmitter empty. */
  reset(): void {
    const inputs = this.s[S_INPUTS];
    this.s.fill(0);
    this.s[S_LSR] = 0;
    this.s[S_DLL] = 12; // 9600 baud, a common firmware default
    this.s[S_INPUTS] = inputs;
    this.s[S_MSR] = inputs;
    this.update();
  }

  // ---- the bus interface ----

  read(offset: number): number {
    const s = this.s;
    const dlab = (s[S_LCR] & LCR_DLAB) !== 0;
    switch (offset & 7) {
      case UART_RBR:
        return dlab ? s[S_DLL] : this.readRbr();
      case UART_IER:
        return dlab ? s[S_DLM] : s[S_IER];
      case UART_IIR: {
        const id = this.pendingId();
        // Reading IIR while it reports THR-empty acknowledges that interrupt.
        if (id === IIR_THRI) {
          s[S_THRI] = 0;
          this.update();
        }
        return id | (s[S_FCR] & FCR_ENABLE ? IIR_FIFOS : 0);
      }
      case UART_LCR:
        return s[S_LCR];
      case UART_MCR:
        return s[S_MCR];
      case UART_LSR: {
        const v = this.lsr();
        // Reading LSR clears the error bits (OE here; PE/FE/BI belong to the character at the
        // top of the FIFO and are reported once).
        s[S_LSR] &= ~LSR_ERRORS;
        if (s[S_RX_COUNT] > 0) s[S_RX_FLAGS + s[S_RX_HEAD]] |= 0x80; // its errors were reported
        this.update();
        return v;
      }
      case UART_MSR: {
        const v = this.msr();
        s[S_MSR] &= MSR_LINES;
        this.update();
        return v;
      }
      default:
        return s[S_SCR];
    }
  }

  write(offset: number, value: number): void {
    const s = this.s;
    const v = value & 0xff;
    const dlab = (s[S_LCR] & LCR_DLAB) !== 0;
    switch (offset & 7) {
      case UART_THR:
        if (dlab) s[S_DLL] = v;
        else this.writeThr(v);
        break;
      case UART_IER:
        if (dlab) {
          s[S_DLM] = v;
        } else {
          const was = s[S_IER];
          s[S_IER] = v & IER_MASK;
          // Enabling the THR-empty interrupt while THR is empty raises it at once.
          if ((v & IER_THRI) !== 0 && (was & IER_THRI) === 0 && this.txEmpty()) s[S_THRI] = 1;
        }
        break;
      case UART_FCR:
        this.writeFcr(v);
        break;
      case UART_LCR: {
        const was = s[S_LCR];
        s[S_LCR] = v;
        if (((was ^ v) & LCR_SBC) !== 0) this.backend.breakChanged?.((v & LCR_SBC) !== 0);
        break;
      }
      case UART_MCR: {
        const was = s[S_MCR];
        s[S_MCR] = v & MCR_MASK;
        this.inputsChanged(this.msrLines(was));
        if (((was ^ v) & (MCR_DTR | MCR_RTS | MCR_OUT1 | MCR_OUT2)) !== 0 && (v & MCR_LOOP) === 0) this.backend.controlChanged?.(v & 0x0f);
        break;
      }
      case UART_LSR:
      case UART_MSR:
        // Writes to the status registers are ignored (factory test use only).
        break;
      default:
        s[S_SCR] = v;
    }
    this.update();
  }

  /** The gated interrupt line: an interrupt is pending and OUT2 lets it through. */
  get irq(): boolean {
    return this.pendingId() !== IIR_NO_INT && (this.s[S_MCR] & MCR_OUT2) !== 0;
  }

  /** Baud rate the divisor latch selects (0 while the divisor is 0). */
  get baud(): number {
    const d = this.s[S_DLL] | (this.s[S_DLM] << 8);
    return d === 0 ? 0 : Math.floor(UART_BASE_BAUD / d);
  }

  // ---- the line side (the host, a terminal, another machine) ----

  /** Free places in the receiver (what receive() can take without an overrun). */
  get rxSpace(): number {
    return this.rxCapacity() - this.s[S_RX_COUNT];
  }

  /** A character arrives on the line (ignored in loopback, where the line is disconnected).
   *  False if it was lost to an overrun. */
  receive(byte: number, flags = 0): boolean {
    if ((this.s[S_MCR] & MCR_LOOP) !== 0) return false;
    const ok = this.rxPush(byte, flags);
    this.update();
    return ok;
  }

  /** A break arrives: a zero character flagged BI. */
  receiveBreak(): boolean {
    return this.receive(0, RX_BREAK);
  }

  /** The backend's modem input lines (MSR_CTS | MSR_DSR | MSR_RI | MSR_DCD bits); changes set
   *  the delta bits (for RI only its trailing edge). */
  setInputs(lines: number): void {
    const before = this.msrLines(this.s[S_MCR]);
    this.s[S_INPUTS] = lines & MSR_LINES;
    this.inputsChanged(before);
    this.update();
  }

  /** One character time passes: the transmitter sends one character, and the receiver counts
   *  towards a character timeout. */
  tick(): void {
    const s = this.s;
    if (s[S_TSR_FULL] !== 0) {
      const b = s[S_TSR];
      s[S_TSR_FULL] = 0;
      if ((s[S_MCR] & MCR_LOOP) !== 0) this.rxPush(b, 0);
      else this.backend.transmit(b & this.wordMask());
      this.loadTsr();
    }
    if (s[S_RX_COUNT] > 0 && s[S_IDLE] < TIMEOUT_TICKS) s[S_IDLE]++;
    this.update();
  }

  /** Characters waiting to be sent (FIFO or THR, and the shift register). */
  get txPending(): number {
    return this.s[S_TX_COUNT] + this.s[S_TSR_FULL];
  }

  // ---- snapshots ----

  getState(): Uint8Array {
    return this.s.slice();
  }

  setState(state: Uint8Array): void {
    if (state.length !== STATE_SIZE) throw new RangeError(`UART state must be ${STATE_SIZE} bytes`);
    this.s.set(state);
  }

  // ---- internals ----

  private fifoOn(): boolean {
    return (this.s[S_FCR] & FCR_ENABLE) !== 0;
  }

  private rxCapacity(): number {
    return this.fifoOn() ? FIFO_SIZE : 1;
  }

  private wordMask(): number {
    return (1 << (5 + (this.s[S_LCR] & LCR_WLEN))) - 1;
  }

  private txEmpty(): boolean {
    return this.s[S_TX_COUNT] === 0;
  }

  private rxPush(byte: number, flags: number): boolean {
    const s = this.s;
    if (s[S_RX_COUNT] >= this.rxCapacity()) {
      this.overruns++;
      s[S_LSR] |= LSR_OE;
      // Without FIFOs the new character overwrites the unread one, as on the 16450.
      if (!this.fifoOn()) {
        s[S_RX + s[S_RX_HEAD]] = byte & this.wordMask();
        s[S_RX_FLAGS + s[S_RX_HEAD]] = flags & (RX_PARITY | RX_FRAMING | RX_BREAK);
      }
      return false;
    }
    const at = (s[S_RX_HEAD] + s[S_RX_COUNT]) % FIFO_SIZE;
    s[S_RX + at] = byte & this.wordMask();
    s[S_RX_FLAGS + at] = flags & (RX_PARITY | RX_FRAMING | RX_BREAK);
    s[S_RX_COUNT]++;
    s[S_IDLE] = 0;
    return true;
  }

  private readRbr(): number {
    const s = this.s;
    if (s[S_RX_COUNT] === 0) return s[S_RX + s[S_RX_HEAD]]; // the last character again
    const b = s[S_RX + s[S_RX_HEAD]];
    s[S_RX_FLAGS + s[S_RX_HEAD]] = 0;
    if (s[S_RX_COUNT] > 1 || this.fifoOn()) s[S_RX_HEAD] = (s[S_RX_HEAD] + 1) % FIFO_SIZE;
    s[S_RX_COUNT]--;
    s[S_IDLE] = 0;
    this.update();
    return b;
  }

  private writeThr(v: number): void {
    const s = this.s;
    s[S_THRI] = 0;
    if (s[S_TX_COUNT] >= (this.fifoOn() ? FIFO_SIZE : 1)) return; // written while full: lost
    s[S_TX + ((s[S_TX_HEAD] + s[S_TX_COUNT]) % FIFO_SIZE)] = v;
    s[S_TX_COUNT]++;
    this.loadTsr();
  }

  /** Moves the next character into an empty shift register; THR emptying re-arms THRI. */
  private loadTsr(): void {
    const s = this.s;
    if (s[S_TSR_FULL] !== 0 || s[S_TX_COUNT] === 0) return;
    s[S_TSR] = s[S_TX + s[S_TX_HEAD]];
    s[S_TSR_FULL] = 1;
    s[S_TX_HEAD] = (s[S_TX_HEAD] + 1) % FIFO_SIZE;
    s[S_TX_COUNT]--;
    if (s[S_TX_COUNT] === 0) s[S_THRI] = 1;
  }

  private writeFcr(v: number): void {
    const s = this.s;
    const was = s[S_FCR] & FCR_ENABLE;
    // Changing the enable bit empties both FIFOs; without it set nothing else is programmed.
    if ((v & FCR_ENABLE) !== was) {
      this.clearRx();
      this.clearTx();
    }
    if ((v & FCR_ENABLE) === 0) {
      s[S_FCR] = 0;
      return;
    }
    s[S_FCR] = v & (FCR_ENABLE | FCR_TRIGGER);
    if ((v & FCR_CLEAR_RX) !== 0) this.clearRx();
    if ((v & FCR_CLEAR_TX) !== 0) this.clearTx();
  }

  private clearRx(): void {
    const s = this.s;
    s[S_RX_HEAD] = s[S_RX_COUNT] = s[S_IDLE] = 0;
    s.fill(0, S_RX_FLAGS, S_RX_FLAGS + FIFO_SIZE);
  }

  private clearTx(): void {
    const s = this.s;
    s[S_TX_HEAD] = s[S_TX_COUNT] = 0;
    if (s[S_TSR_FULL] === 0) s[S_THRI] = 1;
  }

  private lsr(): number {
    const s = this.s;
    let v = s[S_LSR] & LSR_OE;
    if (s[S_RX_COUNT] > 0) {
      v |= LSR_DR;
      const top = s[S_RX_FLAGS + s[S_RX_HEAD]];
      if ((top & 0x80) === 0) v |= top & (LSR_PE | LSR_FE | LSR_BI);
      for (let k = 0; k < s[S_RX_COUNT]; k++) {
        if ((s[S_RX_FLAGS + ((s[S_RX_HEAD] + k) % FIFO_SIZE)] & (LSR_PE | LSR_FE | LSR_BI)) !== 0 && this.fifoOn()) v |= LSR_FIFOE;
      }
    }
    if (this.txEmpty()) v |= LSR_THRE;
    if (this.txEmpty() && s[S_TSR_FULL] === 0) v |= LSR_TEMT;
    return v;
  }

  /** The modem input lines as MSR shows them: the backend's, or in loopback the outputs. */
  private msrLines(mcr: number): number {
    if ((mcr & MCR_LOOP) === 0) return this.s[S_INPUTS];
    return (mcr & MCR_RTS ? MSR_CTS : 0) | (mcr & MCR_DTR ? MSR_DSR : 0) | (mcr & MCR_OUT1 ? MSR_RI : 0) | (mcr & MCR_OUT2 ? MSR_DCD : 0);
  }

  private inputsChanged(before: number): void {
    const s = this.s;
    const now = this.msrLines(s[S_MCR]);
    const diff = before ^ now;
    let delta = 0;
    if (diff & MSR_CTS) delta |= MSR_DCTS;
    if (diff & MSR_DSR) delta |= MSR_DDSR;
    if (diff & MSR_DCD) delta |= MSR_DDCD;
    if (before & MSR_RI && !(now & MSR_RI)) delta |= MSR_TERI;
    s[S_MSR] = (s[S_MSR] & 0x0f) | delta | now;
  }

  private msr(): number {
    return (this.s[S_MSR] & 0x0f) | this.msrLines(this.s[S_MCR]);
  }

  /** The interrupt IIR reports now (IIR_NO_INT if none). */
  private pendingId(): number {
    const s = this.s;
    const ier = s[S_IER];
    if (ier & IER_RLSI && (this.lsr() & LSR_ERRORS) !== 0) return IIR_RLSI;
    if (ier & IER_RDI && s[S_RX_COUNT] > 0) {
      const trigger = this.fifoOn() ? TRIGGER_LEVELS[(s[S_FCR] & FCR_TRIGGER) >> 6] : 1;
      if (s[S_RX_COUNT] >= trigger) return IIR_RDI;
      if (this.fifoOn() && s[S_IDLE] >= TIMEOUT_TICKS) return IIR_TIMEOUT;
    }
    if (ier & IER_THRI && s[S_THRI] !== 0) return IIR_THRI;
    if (ier & IER_MSI && (s[S_MSR] & 0x0f) !== 0) return IIR_MSI;
    return IIR_NO_INT;
  }

  /** Reports a change of the gated interrupt line. */
  private update(): void {
    const level = this.irq ? 1 : 0;
    if (level === this.s[S_IRQ]) return;
    this.s[S_IRQ] = level;
    this.onIrq?.(level === 1);
  }
}
