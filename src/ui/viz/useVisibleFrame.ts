// The store's frame and virtual time as a drawing view should see them: every frame while the
// view is on screen, at most every `offscreenMs` of wall time while it is scrolled out of view.
// Off screen a view still keeps up (a test or the tour reading it finds it current), but a flood
// that brings a batch every frame no longer redraws what nobody sees.
import { useEffect, useState, type RefObject } from 'react';
import { useLab, type LabState } from '../labStore';

export interface VisibleFrame {
  readonly frame: number;
  readonly now: number;
  /** The VMs' figures as of that frame. */
  readonly vms: LabState['vms'];
}

export function useVisibleFrame(ref: RefObject<Element | null>, offscreenMs = 250): VisibleFrame {
  const [seen, setSeen] = useState<VisibleFrame>(() => {
    const s = useLab.getState();
    return { frame: s.frame, now: s.virtualNow, vms: s.vms };
  });
  useEffect(() => {
    let onScreen = true;
    let lastAt = -Infinity;
    let later: ReturnType<typeof setTimeout> | undefined;
    const take = (): void => {
      clearTimeout(later);
      later = undefined;
      const s = useLab.getState();
      lastAt = performance.now();
      setSeen((p) => (p.frame === s.frame && p.now === s.virtualNow && p.vms === s.vms ? p : { frame: s.frame, now: s.virtualNow, vms: s.vms }));
    };
    const io = new IntersectionObserver((entries) => {
      onScreen = entries.some((e) => e.isIntersecting);
      if (onScreen) take();
    });
    if (ref.current) io.observe(ref.current);
    const unsubscribe = useLab.subscribe((s, p) => {
      if (s.frame === p.frame && s.virtualNow === p.virtualNow && s.vms === p.vms) return;
      const wait = onScreen ? 0 : lastAt + offscreenMs - performance.now();
      // The last change is always drawn, if late: a paused lab's view is not left stale.
      if (wait > 0) later ??= setTimeout(take, wait);
      else take();
    });
    take();
    return () => {
      io.disconnect();
      unsubscribe();
      clearTimeout(later);
    };
  }, [ref, offscreenMs]);
  return seen;
}
