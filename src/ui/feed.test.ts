import { describe, expect, it } from 'vitest';
import { appendFeed, type FeedLine } from './labStore';

const line = (t: number, text: string, tone: FeedLine['tone'] = 'info'): FeedLine => ({ t, text, tone });

describe('the feed counts a line that repeats instead of filling with it', () => {
  it('the same line again and again is one line with a count and the latest time', () => {
    let feed: readonly FeedLine[] = [line(1, 'A cut off')];
    for (let i = 0; i < 30; i++) feed = appendFeed(feed, [line(10 + 60 * i, 'B asks shared storage for test-and-set')]);
    expect(feed).toHaveLength(2);
    expect(feed[1]).toEqual({ t: 10 + 60 * 29, text: 'B asks shared storage for test-and-set', tone: 'info', times: 30 });
    // A different line, or the same text with another tone, starts a new one.
    feed = appendFeed(feed, [line(2000, 'B won test-and-set', 'good'), line(2001, 'B won test-and-set', 'warn')]);
    expect(feed.map((l) => l.times ?? 1)).toEqual([1, 30, 1, 1]);
  });
  it('keeps the newest 60 lines', () => {
    const feed = appendFeed([], Array.from({ length: 100 }, (_, i) => line(i, `line ${i}`)));
    expect(feed).toHaveLength(60);
    expect(feed[0]!.text).toBe('line 40');
  });
});
