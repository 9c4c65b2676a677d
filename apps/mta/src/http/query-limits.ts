import { GraphQLError, Kind, type ASTNode, type ValidationContext, type ValidationRule } from 'graphql';

export type QueryLimits = Readonly<{ maxDepth: number; maxFields: number }>;

/** Nesting this deep is never needed by the schema's own types (message → events → data is 4). */
export const defaultQueryLimits: QueryLimits = { maxDepth: 12, maxFields: 1000 };

type SelectionNode = ASTNode & { selectionSet?: { selections: readonly ASTNode[] } };

/**
 * Refuses documents nested deeper than `maxDepth` selection sets, or selecting more than `maxFields` fields in
 * total (fragments counted where they are spread), before anything runs: a cheap defence against queries built to
 * exhaust the server. Fragment cycles are refused by graphql-js's own rules; the walk also stops at them.
 */
export const queryLimitsRule = (limits: QueryLimits): ValidationRule => (context: ValidationContext) => {
  const fragments = new Map(context.getDocument().definitions.flatMap((d) => (d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d]] : [])));
  let fields = 0;
  const walk = (node: SelectionNode, depth: number, seen: ReadonlySet<string>): number => {
    let deepest = depth;
    for (const selection of node.selectionSet?.selections ?? []) {
      if (selection.kind === Kind.FIELD) {
        fields++;
        const inner = selection as SelectionNode;
        deepest = Math.max(deepest, inner.selectionSet ? walk(inner, depth + 1, seen) : depth);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        deepest = Math.max(deepest, walk(selection as SelectionNode, depth, seen));
      } else if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        if (fragment && !seen.has(name)) deepest = Math.max(deepest, walk(fragment as SelectionNode, depth, new Set([...seen, name])));
      }
      if (deepest > limits.maxDepth || fields > limits.maxFields) return deepest;
    }
    return deepest;
  };
  return {
    OperationDefinition(operation) {
      fields = 0;
      const depth = walk(operation as SelectionNode, 1, new Set());
      if (depth > limits.maxDepth) {
        context.reportError(new GraphQLError(`query is nested ${depth} levels deep; at most ${limits.maxDepth} are allowed`, {
          nodes: [operation], extensions: { code: 'QUERY_TOO_DEEP' },
        }));
      } else if (fields > limits.maxFields) {
        context.reportError(new GraphQLError(`query selects more than ${limits.maxFields} fields`, {
          nodes: [operation], extensions: { code: 'QUERY_TOO_COMPLEX' },
        }));
      }
      return false;
    },
  };
};
