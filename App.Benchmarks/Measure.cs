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
}
