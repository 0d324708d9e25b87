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

    /// <summary>
    /// One warm-up of each, then <paramref name="rounds"/> rounds that time every action once, in order; the median
    /// of each action's times, in milliseconds. The actions see the same load, so their ratios hold on a busy machine.
    /// </summary>
    public static async Task<double[]> InterleavedMediansAsync(IReadOnlyList<Func<Task<int>>> actions, int rounds)
    {
        foreach (var action in actions)
        {
            await action();
        }

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
