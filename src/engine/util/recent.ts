// Bounded maps and sets that keep only the newest keys, for bookkeeping that must not grow with a
// session (message ids seen, outcomes pending, requests timed out).
//
// Why not a Map whose oldest key is deleted (`m.delete(m.keys().next().value)`) on every insert
// past the bound: in V8 a deleted entry leaves a hole at the front of the table until the next
// rehash, and `keys().next()` walks every hole, so each insert costs O(bound). At 20,000 keys that
// is about 11 µs per insert (measured), the page's main thread's largest cost in a busy session.
// Here two generations are kept instead: when the newer one holds half the bound, the older is
// forgotten at once. Every operation is O(1); at most `keep` keys are held, at least `keep / 2`.

export class RecentMap<K, V> {
  private _old = new Map<K, V>();
  private _new = new Map<K, V>();
  private readonly _half: number;

  constructor(readonly keep: number) {
    this._half = Math.max(1, Math.ceil(keep / 2));
  }

  get size(): number {
    return this._old.size + this._new.size;
  }

  has(k: K): boolean {
    return this._new.has(k) || this._old.has(k);
  }

  get(k: K): V | undefined {
    return this._new.has(k) ? this._new.get(k) : this._old.get(k);
  }

  /** Add or replace (a key already held keeps its age). */
  set(k: K, v: V): this {
    if (this._old.has(k)) this._old.set(k, v);
    else {
      this._new.set(k, v);
      if (this._new.size >= this._half) {
        this._old = this._new;
        this._new = new Map();
      }
    }
    return this;
  }

  delete(k: K): boolean {
    const a = this._new.delete(k);
    const b = this._old.delete(k);
    return a || b;
  }

  clear(): void {
    this._old.clear();
    this._new.clear();
  }

  /** Oldest generation first. */
  *entries(): IterableIterator<[K, V]> {
    yield* this._old.entries();
    yield* this._new.entries();
  }

  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.entries();
  }

  *keys(): IterableIterator<K> {
    for (const [k] of this.entries()) yield k;
  }

  *values(): IterableIterator<V> {
    for (const [, v] of this.entries()) yield v;
  }
}

export class RecentSet<K> {
  private readonly _m: RecentMap<K, true>;

  constructor(keep: number) {
    this._m = new RecentMap(keep);
  }

  get size(): number {
    return this._m.size;
  }

  has(k: K): boolean {
    return this._m.has(k);
  }

  add(k: K): this {
    this._m.set(k, true);
    return this;
  }

  delete(k: K): boolean {
    return this._m.delete(k);
  }

  clear(): void {
    this._m.clear();
  }

  values(): IterableIterator<K> {
    return this._m.keys();
  }

  [Symbol.iterator](): IterableIterator<K> {
    return this._m.keys();
  }
}
