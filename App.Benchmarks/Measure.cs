using System.Diagnostics;

namespace AdminPortal.Benchmarks;

public static class Measure
{
    public const int Rounds = 7;

    /// <summary>One warm-up, then the median of <see cref="Rounds"/> timed runs, in milliseconds.</summary>
    public static async Task<double> MedianAsync<T>(Func<Task<T>> action)
    {
        await action();
        var times = new List<double>();
        for (int i = 0; i < Rounds; i++)
        {
            var watch = Stopwatch.StartNew();
            await action();
            times.Add(watch.Elapsed.TotalMilliseconds);
        }

        return times.Order().ElementAt(times.Count / 2);
    }

    /// <summary>How long the tiered JIT gets after a warm-up: it promotes a method 100 ms after its tier-0 calls stop.</summary>
    private static readonly TimeSpan TieringSettles = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// <paramref name="rounds"/> untimed rounds of every action (the warm-up), then as many rounds that time every
    /// action once, in order; the median of each action's times, in milliseconds. The actions see the same load, so
    /// their ratios hold on a busy machine. The warm-up runs each action as often as it is timed, and then waits for
    /// the tiered JIT: with one warm-up call the first half of the timed rounds ran EF's pipeline as tier-0 code (a
    /// method is promoted after 30 calls), which cost the longer code path (the portal's call) more than the shorter
    /// (the raw SQL) and put the JIT's state, not the code, into their ratio. The portal runs for days; its steady
    /// state is what the ratio is about.
    /// </summary>
    public static async Task<double[]> InterleavedMediansAsync(IReadOnlyList<Func<Task<int>>> actions, int rounds)
    {
        for (int round = 0; round < rounds; round++)
        {
            foreach (var action in actions)
            {
                await action();
            }
        }

        await Task.Delay(TieringSettles);
        var times = actions.Select(_ => new List<double>()).ToArray();
        for (int round = 0; round < rounds; round++)
        {
            for (int i = 0; i < actions.Count; i++)
            {
                var watch = Stopwatch.StartNew();
                await actions[i]();
                times[i].Add(watch.Elapsed.TotalMilliseconds);
            }
        }

        return times.Select(t => t.Order().ElementAt(t.Count / 2)).ToArray();
    }
}
