import { defineStore } from 'pinia';
import { ref } from 'vue';

/** A request sent from the API console, and how it went. */
export interface ConsoleEntry {
  deviceId: string;
  method: string;
  path: string;
  headers: string;
  body: string;
  status?: number;
  error?: string;
  ms: number;
  at: number;
}

/** How many requests the history keeps. */
export const HISTORY_LIMIT = 30;
const STORAGE_KEY = 'peerfetch.console-history';

function loadHistory(): ConsoleEntry[] {
  try {
    const parsed: unknown = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? '[]');
    return Array.isArray(parsed) ? (parsed as ConsoleEntry[]) : [];
  } catch {
    return [];
  }
}

/** The console's history, newest first, kept across visits (requests only, no bodies of responses). */
export const useConsoleHistoryStore = defineStore('console-history', () => {
  const entries = ref<ConsoleEntry[]>(loadHistory());

  function record(entry: ConsoleEntry) {
    entries.value = [entry, ...entries.value].slice(0, HISTORY_LIMIT);
    try {
      localStorage.setItem(STORAGE_KEY, JSON.stringify(entries.value));
    } catch {
      // Storage full or disabled: the history still works for this visit.
    }
  }

  function clear() {
    entries.value = [];
    localStorage.removeItem(STORAGE_KEY);
  }

  return { entries, record, clear };
});
