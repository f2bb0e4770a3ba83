export { DEFAULT_CONFIG_PATH, loadConfig, loadStateDir, resolveConfig } from './load.js';
export { configSchema, type EdgeConfig } from './schema.js';
export { type ConfigFlags, EdgeConfigError } from './sources.js';
