using System.Diagnostics;
using Microsoft.AspNetCore.Components.Server.Circuits;

// In the Features namespace, which Program.cs already imports, so that mapping it costs Program.cs one line.
namespace AdminPortal.App.Features;

/// <summary>
/// <c>GET /diagnostics/benchmark</c>: the process's managed heap after a forced full collection and its total CPU time,
/// for <c>./bench.sh circuits</c>. Mapped only when <c>Diagnostics:BenchmarkEndpoints</c> is true, only in Development,
/// and answered only to loopback callers: a forced full GC on request is a denial-of-service lever, and heap size is
/// nobody else's business.
/// </summary>
public static class BenchmarkEndpoints
{
    public const string Setting = "Diagnostics:BenchmarkEndpoints";

    public const string Path = "/diagnostics/benchmark";

    /// <summary>With the setting on, every circuit's inbound messages are timed (<see cref="InboundActivityTimer"/>).</summary>
    public static void AddBenchmarkServices(this WebApplicationBuilder builder)
    {
        if (builder.Configuration.GetValue(Setting, false))
        {
            builder.Services.AddScoped<CircuitHandler, InboundActivityTimer>();
        }
    }

    public static WebApplication MapBenchmarkEndpoints(this WebApplication app)
    {
        if (!app.Configuration.GetValue(Setting, false))
        {
            return app;
        }

        if (!app.Environment.IsDevelopment())
        {
            throw new InvalidOperationException(
                $"{Setting} is on outside Development (environment: {app.Environment.EnvironmentName}). It forces full garbage collections on request; it is for benchmark runs only.");
        }

        app.MapGet(Path, (HttpContext context) =>
        {
            if (context.Connection.RemoteIpAddress is not { } address || !System.Net.IPAddress.IsLoopback(address))
            {
                return Results.NotFound();
            }

            // ?collect=false reads CPU time without a collection, so that a CPU delta does not include a forced full GC.
            bool collect = context.Request.Query["collect"] != "false";
            if (collect)
            {
                // Twice, with finalizers in between, so that objects freed by finalizers are gone too.
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }

            long heap = GC.GetTotalMemory(forceFullCollection: collect);
            using var process = Process.GetCurrentProcess();
            // Bytes allocated since start: on a shared machine a steadier per-turn figure than CPU time, which the
            // neighbours' load stretches (cache misses, preemption) while the allocation stays what the code asked for.
            // ?activities=take: the inbound messages' server times since the last take, and forget them.
            double[]? activities = context.Request.Query["activities"] == "take" ? InboundActivityTimer.Take() : null;
            return Results.Json(new BenchmarkSnapshot(heap, process.TotalProcessorTime.TotalMilliseconds, GC.GetTotalAllocatedBytes(precise: true), GC.CollectionCount(0), ContextSwitches(), activities));
        }).AllowAnonymous().DisableAntiforgery();
        return app;
    }

    /// <summary>
    /// The process's context switches so far, voluntary and not, ended threads included (getrusage RUSAGE_SELF); 0
    /// where that is not Linux. A page turn's hand-offs between threads show here with far less noise than in CPU time.
    /// </summary>
    private static long ContextSwitches()
    {
        if (!OperatingSystem.IsLinux() || !Environment.Is64BitProcess)
        {
            return 0;
        }

        // struct rusage on 64-bit Linux: two timevals (4 longs), then 14 longs; ru_nvcsw and ru_nivcsw are the last two.
        var usage = new long[18];
        return GetResourceUsage(0, usage) == 0 ? usage[16] + usage[17] : 0;
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "getrusage")]
    private static extern int GetResourceUsage(int who, [System.Runtime.InteropServices.Out] long[] usage);
}

/// <summary>
/// Managed heap in bytes (after a full collection unless ?collect=false); process CPU time (user + system) in
/// milliseconds since start; managed bytes allocated since start, and gen-0 collections since start. An older build's
/// endpoint answers without the last ones (they read 0). Context switches: the process's, from getrusage (Linux).
/// </summary>
/// ActivityMs: with ?activities=take, how long the server took over each circuit inbound message since the last take.
public sealed record BenchmarkSnapshot(long HeapBytes, double CpuMilliseconds, long AllocatedBytes = 0, int Gen0Collections = 0, long ContextSwitches = 0, double[]? ActivityMs = null);

/// <summary>
/// Times each inbound message of every circuit on the server (Blazor's inbound activity: a navigation, an event, a
/// render acknowledgement, a JS interop reply), from the hub handing it to the circuit until the circuit is done with
/// it, renders included (the users grid's turn on SQLite renders within its navigation). That is the portal's part of
/// a page turn, apart from the browser's: the circuits benchmark prints its p95 with one circuit and with N busy ones.
/// Registered only with the benchmark endpoints on.
/// </summary>
public sealed class InboundActivityTimer : CircuitHandler
{
    private static readonly List<double> Times = [];

    public override Func<CircuitInboundActivityContext, Task> CreateInboundActivityHandler(Func<CircuitInboundActivityContext, Task> next) =>
        async context =>
        {
            long start = Stopwatch.GetTimestamp();
            try
            {
                await next(context);
            }
            finally
            {
                double elapsed = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                lock (Times)
                {
                    Times.Add(elapsed);
                }
            }
        };

    public static double[] Take()
    {
        lock (Times)
        {
            var taken = Times.ToArray();
            Times.Clear();
            return taken;
        }
    }
}
