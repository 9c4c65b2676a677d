/** An MX target before its addresses are known. */
export type MxTarget = Readonly<{ exchange: string; priority: number }>;

/**
 * The order RFC 5321 §5.1 asks for: ascending preference, hosts of equal preference in random order (`random`
 * returns [0, 1) like `Math.random`). A host listed more than once keeps its most preferred entry; MX records
 * with an empty exchange (the null MX target ".") are dropped, since they name no host.
 */
export const orderMxTargets = (targets: readonly MxTarget[], random: () => number): MxTarget[] => {
  const best = new Map<string, number>();
  for (const { exchange, priority } of targets) {
    if (exchange === '') continue;
    const known = best.get(exchange);
    if (known === undefined || priority < known) best.set(exchange, priority);
  }
  const shuffled = shuffle([...best].map(([exchange, priority]) => ({ exchange, priority })), random);
  return shuffled.sort((a, b) => a.priority - b.priority); // stable: equal preferences keep their shuffled order
};

/** Whether an MX RRset is a null MX (RFC 7505 §3): exactly one record, whose exchange is the root ".". */
export const isNullMx = (targets: readonly MxTarget[]): boolean => targets.length === 1 && targets[0]?.exchange === '';

const shuffle = <T>(items: T[], random: () => number): T[] => {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
};
