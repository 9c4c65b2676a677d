import { DomainError } from '@elemta/domain';
import { builder } from '../builder.js';

/** Every typed error in a result union implements it, so clients can always ask `... on Error { code message }`. */
export const ErrorInterface = builder.interfaceRef<{ message: string; code: string }>('Error').implement({
  description: 'An expected failure returned as data. Specific errors implement this interface and may add fields.',
  fields: (t) => ({
    message: t.exposeString('message', { description: 'A human-readable explanation; may change between releases.' }),
    code: t.exposeString('code', { description: 'A stable, machine-readable code (e.g. `MESSAGE_NOT_CANCELLABLE`).' }),
  }),
});

builder.objectType(DomainError, {
  name: 'DomainError',
  description: 'A command the domain rejected; `code` says why.',
  interfaces: [ErrorInterface],
});
