/**
 * The API key lives in sessionStorage: it survives reloads of the tab but not the browser session,
 * and it is never written anywhere else.
 */
const KEY = 'elemta.apiKey';

export const readApiKey = (): string | null => {
  try {
    return window.sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
};

export const storeApiKey = (apiKey: string): void => window.sessionStorage.setItem(KEY, apiKey);

export const clearApiKey = (): void => window.sessionStorage.removeItem(KEY);
