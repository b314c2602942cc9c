// Test-only: see miniflare.ts for why this is a full npm: specifier.
export { default as puppeteer } from "npm:puppeteer-core@25.16.0";
export type { Browser, Page } from "npm:puppeteer-core@25.16.0";
