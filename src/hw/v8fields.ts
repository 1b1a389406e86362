// V8 tracks, per class, whether each field has been written since construction ("const") and
// which kind of value it holds (small integer, double, an object of one shape), and optimised
// code relies on what it saw. The first write that breaks one of those assumptions (a Block's
// first `compiled` region, a CPU's instruction count passing 2^30, a region's first `valid =
// false`) deoptimises every function that relied on it, among them the engine loop and the
// interpreter, which V8 then compiles again: a short shell script went through a dozen such
// rounds. Writing each such field once, with the kinds of values it will hold, when the first
// object of the class is made (before anything is optimised) settles them from the start.

/** Writes each of `values`' fields into `obj` (in order; a field may be listed with several
 *  values in an array to write them one after the other), then puts the original values back. */
export function settleFields(obj: object, values: Record<string, unknown[]>): void {
  const o = obj as Record<string, unknown>;
  for (const [k, vs] of Object.entries(values)) {
    const was = o[k];
    for (const v of vs) o[k] = v;
    o[k] = was;
  }
}

/** Classes of this thread whose first object settleOnce has settled. */
const settledClasses = new WeakSet<object>();

/** settleFields on the first object of its class in this thread: the fields' kinds belong to the
 *  class's shape, which every later object shares. */
export function settleOnce(obj: object, values: Record<string, unknown[]>): void {
  if (settledClasses.has(obj.constructor)) return;
  settledClasses.add(obj.constructor);
  settleFields(obj, values);
}
