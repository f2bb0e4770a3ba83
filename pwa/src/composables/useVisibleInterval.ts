import { onBeforeUnmount, onMounted } from 'vue';

/**
 * Runs `task` now and every `ms` while the component is mounted and the page is visible;
 * runs it again as soon as the page comes back to the front. Tasks never overlap.
 */
export function useVisibleInterval(task: () => Promise<void>, ms: number) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running = false;
  let active = false;

  async function tick() {
    clearTimeout(timer);
    if (!active || document.visibilityState === 'hidden' || running) return;
    running = true;
    try {
      await task();
    } finally {
      running = false;
      if (active) timer = setTimeout(() => void tick(), ms);
    }
  }
  const onVisibility = () => {
    if (document.visibilityState === 'visible') void tick();
  };

  onMounted(() => {
    active = true;
    document.addEventListener('visibilitychange', onVisibility);
    void tick();
  });
  onBeforeUnmount(() => {
    active = false;
    clearTimeout(timer);
    document.removeEventListener('visibilitychange', onVisibility);
  });
  return { refresh: tick };
}
