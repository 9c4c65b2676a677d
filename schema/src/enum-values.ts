/**
 * Builds Pothos enum values whose GraphQL names are upper case (`QUEUED`) and whose internal
 * values are our lower-case strings (`queued`), so resolvers and inputs pass them through
 * unchanged. Taking a `Record<V, description>` makes a value added to the union fail the
 * typecheck until it is described here.
 */
export const enumValues = <V extends string>(descriptions: Record<V, string>) =>
  Object.fromEntries(
    Object.entries<string>(descriptions).map(([value, description]) => [value.toUpperCase(), { value, description }]),
  ) as Record<Uppercase<V>, { value: V; description: string }>;
