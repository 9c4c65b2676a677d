import type { NextConfig } from 'next';
import { PHASE_DEVELOPMENT_SERVER } from 'next/constants';

/**
 * The dashboard is exported to static files (`out/`) that the Elemta daemon serves at `/`,
 * next to `/graphql`; so there is no Next server at run time, pages are client components,
 * and routes carry their parameters in query strings (`/message/?id=…`).
 */
const exported: NextConfig = {
  output: 'export',
  trailingSlash: true,
  reactStrictMode: true,
  poweredByHeader: false,
  images: { unoptimized: true },
};

/** `next dev` has no daemon behind it: forward `/graphql` to one (default: the daemon's default port). */
const development = (): NextConfig => ({
  trailingSlash: true,
  reactStrictMode: true,
  rewrites: async () => [
    { source: '/graphql', destination: `${process.env.ELEMTA_DASHBOARD_API ?? 'http://127.0.0.1:8025'}/graphql` },
  ],
});

export default (phase: string): NextConfig => (phase === PHASE_DEVELOPMENT_SERVER ? development() : exported);
