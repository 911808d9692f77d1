/// <reference types="svelte" />
/// <reference types="vite/client" />
// Lets vite.config.ts's `test` block type-check (vitest's augmentation of vite's UserConfig).
/// <reference types="vitest/config" />
