import { GraphQLError } from 'graphql';
import { DomainError } from '@elemta/domain';

/**
 * An invalid argument to a query. Queries keep simple result types, so they reject bad input
 * as a GraphQL error with `extensions.code = 'BAD_USER_INPUT'` (the code graphql-yoga and
 * Apollo clients already know) instead of a result union.
 */
export const badUserInput = (message: string, reason?: string): GraphQLError =>
  new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT', ...(reason ? { reason } : {}) } });

/**
 * Runs a read and turns a `DomainError` it throws (a read model rejecting its input, such as a
 * malformed cursor) into BAD_USER_INPUT carrying the domain code as `reason`.
 * Anything else propagates and stays masked.
 */
export const readingUserInput = async <T>(read: () => Promise<T>): Promise<T> => {
  try {
    return await read();
  } catch (error) {
    if (error instanceof DomainError) throw badUserInput(error.message, error.code);
    throw error;
  }
};
