export { DEFAULT_CONFIG_PATH, loadConfig, loadStateDir, resolveConfig } from './load.js';
export { configSchema, type EdgeConfig, type IceServer } from './schema.js';
export { ConfigError, type ConfigFlags } from './sources.js';
