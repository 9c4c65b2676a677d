import type { AnyDomainEvent } from './common.js';

/**
 * One step per frozen old version, keyed `<type>@<version>`, each returning the next version.
 * Every event type is at version 1 so far; an entry and its JSON fixture test arrive with the first version 2.
 */
export const upcasters: Readonly<Record<string, (event: AnyDomainEvent) => AnyDomainEvent>> = {};
