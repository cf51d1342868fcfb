// The page's visualisations, below the VM panels: the logging channel in flight, then a tabbed
// area with the space-time diagram and the metrics. Only the open tab draws.
import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import { useLab } from '../labStore';
import { ChannelView } from './ChannelView';
import { Metrics } from './Metrics';
import { Timeline } from './Timeline';

const TABS = [
  { id: 'timeline', label: 'Timeline' },
  { id: 'metrics', label: 'Metrics' },
] as const;
type TabId = (typeof TABS)[number]['id'];

export function VizPanels() {
  const [tab, setTab] = useState<TabId>('timeline');
  // A tour step that points at the metrics or the timeline opens that tab.
  const highlight = useLab((s) => s.tour?.highlight);
  useEffect(() => {
    if (highlight?.includes('timeline')) setTab('timeline');
    else if (highlight?.includes('metrics')) setTab('metrics');
  }, [highlight]);
  const refs = useRef<Record<string, HTMLButtonElement | null>>({});
  const onKey = (e: KeyboardEvent<HTMLDivElement>): void => {
    const i = TABS.findIndex((t) => t.id === tab);
    let next = -1;
    if (e.key === 'ArrowRight') next = (i + 1) % TABS.length;
    else if (e.key === 'ArrowLeft') next = (i + TABS.length - 1) % TABS.length;
    else if (e.key === 'Home') next = 0;
    else if (e.key === 'End') next = TABS.length - 1;
    if (next < 0) return;
    e.preventDefault();
    const id = TABS[next]!.id;
    setTab(id);
    refs.current[id]?.focus();
  };
  return (
    <div className="viz">
      <section className="panel viz-channel" aria-labelledby="viz-channel-h" data-panel="channel-view">
        <h2 id="viz-channel-h">
          Logging channel, live <small>what is in flight between the primary and the backup right now</small>
        </h2>
        <ChannelView />
      </section>
      <section className="panel viz-tabs" aria-label="Trace views" data-panel="timeline metrics">
        <div className="viz-tablist" role="tablist" aria-label="Trace views" onKeyDown={onKey}>
          {TABS.map((t) => (
            <button
              key={t.id}
              ref={(el) => {
                refs.current[t.id] = el;
              }}
              type="button"
              role="tab"
              id={`viz-tab-${t.id}`}
              aria-selected={tab === t.id}
              aria-controls={`viz-panel-${t.id}`}
              tabIndex={tab === t.id ? 0 : -1}
              onClick={() => setTab(t.id)}
            >
              {t.label}
            </button>
          ))}
        </div>
        {TABS.map((t) => (
          <div key={t.id} role="tabpanel" id={`viz-panel-${t.id}`} aria-labelledby={`viz-tab-${t.id}`} className="viz-tabpanel" hidden={tab !== t.id}>
            {tab === t.id && (t.id === 'timeline' ? <Timeline /> : <Metrics />)}
          </div>
        ))}
      </section>
    </div>
  );
}
