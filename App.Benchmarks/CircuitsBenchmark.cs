using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using AdminPortal.App.Features;
using Microsoft.Playwright;

namespace AdminPortal.Benchmarks;

/// <summary>
/// <c>./bench.sh circuits [N]</c>: the portal (Release build, its own process, embedded SQLite with generated users)
/// driven by N real Blazor circuits in headless Chromium. It reads the server's managed heap and CPU time through
/// <c>/diagnostics/benchmark</c>, which exists only because this run turns on <c>Diagnostics:BenchmarkEndpoints</c>.
/// Every figure is printed against a baseline from the same run: the dashboard's circuit for memory, one lone circuit
/// for CPU and latency.
/// </summary>
public static class CircuitsBenchmark
{
    private const string Persona = "Customer admin · Contoso";

    /// <summary>More circuits than this starve a 2-core machine's server of CPU (each is a Chromium tab).</summary>
    public const int MaxCircuits = 40;

    public static async Task RunAsync(int circuits, int generatedUsers, int turns)
    {
        if (circuits is < 1 or > MaxCircuits)
        {
            throw new ArgumentOutOfRangeException(nameof(circuits), circuits, $"Between 1 and {MaxCircuits} circuits.");
        }

        // ADMINPORTAL_BENCH_PORTAL: another checkout's root (built in Release), to measure an older build with this
        // same benchmark; "before" and "after" figures then come from one method.
        string root = Environment.GetEnvironmentVariable("ADMINPORTAL_BENCH_PORTAL") is { Length: > 0 } other ? Path.GetFullPath(other) : RepositoryRoot();
        string dll = Path.Combine(root, "bin", "Release", "net10.0", "AdminPortal.dll");
        if (!File.Exists(dll))
        {
            throw new InvalidOperationException($"Build the portal in Release first (./bench.sh circuits does): {dll} is missing.");
        }

        string folder = Directory.CreateTempSubdirectory("adminportal-circuits-").FullName;
        int port = FreePort();
        string baseUrl = $"http://127.0.0.1:{port}";
        var settings = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["ConnectionStrings__Portal"] = $"Data Source={Path.Combine(folder, "portal.db")}",
            ["Diagnostics__BenchmarkEndpoints"] = "true",
            // Every circuit signs in from 127.0.0.1; the sign-in limit is per address.
            ["RateLimits__SignIn__PermitLimit"] = "100000",
            // The sync worker would otherwise work through the generated pending users during the measurements.
            ["Sync__Interval"] = "01:00:00",
            // So would the reports' background refresh, a minute after the start: its first run compiled the report
            // queries (334 methods JIT-compiled during the lone turns, measured in the sixteenth round).
            ["Reports__BackgroundInterval"] = "01:00:00",
            ["Logging__LogLevel__Default"] = "Warning",
            ["Logging__LogLevel__Microsoft.AspNetCore"] = "Warning",
        };

        var seed = Stopwatch.StartNew();
        using (var seeding = Start(dll, root, settings, "seed", "--users", generatedUsers.ToString()))
        {
            await seeding.WaitForExitAsync();
            if (seeding.ExitCode != 0)
            {
                throw new InvalidOperationException($"seed --users {generatedUsers} failed with exit code {seeding.ExitCode}.");
            }
        }

        settings["ASPNETCORE_URLS"] = baseUrl;
        if (Environment.GetEnvironmentVariable("ADMINPORTAL_BENCH_PERF") is { Length: > 0 })
        {
            settings["DOTNET_PerfMapEnabled"] = "1";
            settings["DOTNET_EnableWriteXorExecute"] = "0"; // else JIT-compiled code runs from a double mapping the map does not name
        }

        if (Environment.GetEnvironmentVariable("ADMINPORTAL_BENCH_JIT") is { Length: > 0 } jitLog)
        {
            // Every method the portal's JIT compiles, in order, with its tier: whether the measured turns are the
            // steady state, or the tiered compiler is still at work during them.
            jitLogFile = Path.GetFullPath(jitLog);
            File.Delete(jitLogFile);
            settings["DOTNET_JitStdOutFile"] = jitLogFile;
            settings["DOTNET_JitDisasmSummary"] = "1";
        }

        using var server = Start(dll, root, settings);
        using var http = new HttpClient { BaseAddress = new Uri(baseUrl), Timeout = TimeSpan.FromMinutes(2) };
        try
        {
            await WaitUntilLiveAsync(http, server);
            Console.WriteLine($"Portal: Release build, own process (pid {server.Id}), SQLite, demo data + {generatedUsers:N0} generated users (seeded in {seed.Elapsed.TotalSeconds:F0} s).");
            Console.WriteLine($"Chromium (headless, /usr/bin/chromium) through Playwright: {circuits} browser contexts, each signed in through the development provider as \"{Persona}\".");
            using var playwright = await Playwright.CreateAsync();
            await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = "/usr/bin/chromium",
                Headless = true,
                Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
            });

            var contexts = new List<IBrowserContext>();
            for (int i = 0; i < circuits; i++)
            {
                contexts.Add(await SignInAsync(browser, baseUrl));
            }

            var probe = await contexts[0].NewPageAsync();
            await OpenAsync(probe, baseUrl + "/users");
            string total = await probe.GetByTestId("user-total").InnerTextAsync();
            string userId = (await probe.Locator("[data-user-id]").First.GetAttributeAsync("data-user-id"))!;
            if (Environment.GetEnvironmentVariable("ADMINPORTAL_BENCH_SCREENSHOT") is { Length: > 0 } screenshot)
            {
                // To compare builds by eye (and by markup): the users grid as this persona sees it.
                await probe.ScreenshotAsync(new PageScreenshotOptions { Path = screenshot, FullPage = true });
                await File.WriteAllTextAsync(Path.ChangeExtension(screenshot, ".html"), await probe.Locator(".mud-main-content").InnerHTMLAsync());
            }

            await OpenAsync(probe, baseUrl + "/posts");
            string postId = (await probe.Locator("[data-post-id]").First.GetAttributeAsync("data-post-id"))!;
            await LeaveAsync(probe);
            Console.WriteLine($"Users grid for this tenant: \"{total}\" (25 rows a page).");
            Console.WriteLine();

            // ADMINPORTAL_BENCH_NO_HEAP=1: only the page turns (the heap readings take about ten minutes on a busy machine).
            bool heaps = Environment.GetEnvironmentVariable("ADMINPORTAL_BENCH_NO_HEAP") is not "1";
            if (heaps)
            {
                Console.WriteLine($"Managed heap per open circuit (stable heap after forced full GCs with {circuits} circuits open, minus with none, / {circuits}):");
            }

            double baseline = 0;
            // ADMINPORTAL_BENCH_HEAP_PAGES: the pages to read, by name ("users grid,posts grid"); all five by default.
            string[] heapPages = Environment.GetEnvironmentVariable("ADMINPORTAL_BENCH_HEAP_PAGES") is { Length: > 0 } only ? only.Split(',', StringSplitOptions.TrimEntries) : [];
            foreach (var (name, path) in new[] { ("dashboard (baseline)", "/"), ("users grid", "/users"), ("posts grid", "/posts"), ("user detail", $"/users/{userId}"), ("post editor", $"/posts/{postId}") }
                .Where(page => heaps && (heapPages.Length == 0 || heapPages.Contains(page.Item1))))
            {
                // ADMINPORTAL_BENCH_HEAP_REPEATS (default 3): the page's none / half / all-open / closed cycle is repeated and the
                // medians printed. Two single readings of one build differed by 166 KB a circuit (seventeenth round): the heap
                // with none open moved by megabytes between them, so one cycle's baseline cannot carry the figure alone.
                var cycles = new List<HeapRun>();
                for (int cycle = 0; cycle < HeapRepeats; cycle++)
                {
                    cycles.Add(await HeapPerCircuitAsync(http, contexts, baseUrl + path, name, server.Id));
                }

                var heap = cycles.OrderBy(c => c.PerCircuit).ElementAt(cycles.Count / 2);
                double perCircuit = heap.PerCircuit;
                baseline = baseline == 0 ? perCircuit : baseline;
                string ratio = path == "/" ? "          " : $"   {perCircuit / baseline,5:F1}x";
                Console.WriteLine($"  {name,-22} {perCircuit / 1024,8:N0} KB{ratio}   (heap none {heap.None / 1048576.0:F1} MB, open {heap.Open / 1048576.0:F1} MB; after closing them: {heap.LeftOver / 1024:+#,0;-#,0;0} KB per circuit still held)");
                double marginal = cycles.Select(c => c.Marginal).Order().ElementAt(cycles.Count / 2);
                Console.WriteLine($"  {"",-22} {marginal / 1024,8:N0} KB marginal: the second half's {heap.SecondHalf} circuits alone (heap with all open minus with the first {contexts.Count - heap.SecondHalf} open), once the process-wide pools are filled");
                if (cycles.Count > 1)
                {
                    Console.WriteLine($"  {"",-22} medians of {cycles.Count} cycles; each cycle, all open / marginal (KB) and heap none: {string.Join("; ", cycles.Select(c => $"{c.PerCircuit / 1024:N0} / {c.Marginal / 1024:N0} ({c.None / 1048576.0:F1} MB)"))}");
                }
            }

            if (heaps)
            {
                Console.WriteLine($"  (each heap reading: forced full GCs 1 s apart until two in a row agree within {StableWithin:P0}; {stableReadings} readings, at most {maxReadings} for one)");
            }

            Console.WriteLine();
            await WarmUpAsync(http, contexts[0], baseUrl);
            var idle = await IdleCpuAsync(http, contexts[0], baseUrl);
            var lone = await PageTurnsAsync(http, contexts.Take(1).ToList(), baseUrl, turns);
            var floor = await FloorAsync(http, contexts[0], baseUrl, turns);
            var bare = floor is null ? null : await FloorAsync(http, contexts[0], baseUrl, turns, BareFloor);
            var busy = await PageTurnsAsync(http, contexts, baseUrl, Math.Max(5, turns / 2));
            var rounds = floor is null ? [] : await RoundsAsync(http, contexts[0], baseUrl, turns, idle, withBare: bare is not null);
            Console.WriteLine("Server CPU per page turn on the users grid (process CPU time delta / page turns clicked in the browser):");
            Console.WriteLine($"  idle baseline: the portal with one users grid open and untouched for {idle.Seconds:F0} s: {idle.MsPerSecond:F1} ms of CPU a second (timers, background services, the thread pool's spinning)");
            Console.WriteLine($"  1 circuit, {lone.Latencies.Count} turns:{"",-14} {lone.ServerCpuMs / lone.Latencies.Count,6:F1} ms   net of the idle baseline over its {lone.Wall.TotalSeconds:F1} s: {NetOfIdle(lone, idle),6:F1} ms");
            Console.WriteLine($"  {circuits} busy circuits, {busy.Latencies.Count} turns:{"",-8} {busy.ServerCpuMs / busy.Latencies.Count,6:F1} ms   net of the idle baseline over its {busy.Wall.TotalSeconds:F1} s: {NetOfIdle(busy, idle),6:F1} ms   {busy.ServerCpuMs / lone.ServerCpuMs * lone.Latencies.Count / busy.Latencies.Count,4:F1}x the lone circuit");
            if (floor is not null)
            {
                Console.WriteLine($"  the floor, 1 circuit, {floor.Latencies.Count} turns: {floor.ServerCpuMs / floor.Latencies.Count,6:F1} ms   net of the idle baseline over its {floor.Wall.TotalSeconds:F1} s: {NetOfIdle(floor, idle),6:F1} ms   ({Floor.Path}: the same layout, pager and one-batch turn, 25 rows of users-grid markup, no data call)");
                Console.WriteLine($"  the users grid's own part (lone turn minus the floor): {NetOfIdle(lone, idle) - NetOfIdle(floor, idle),6:F1} ms; the lone turn is {NetOfIdle(lone, idle) / Math.Max(0.01, NetOfIdle(floor, idle)),4:F1}x the floor");
                if (bare is not null)
                {
                    Console.WriteLine($"  the bare floor, {bare.Latencies.Count} turns: {bare.ServerCpuMs / bare.Latencies.Count,6:F1} ms   net of the idle baseline over its {bare.Wall.TotalSeconds:F1} s: {NetOfIdle(bare, idle),6:F1} ms   ({BareFloor.Path}: the floor without the portal's layout; the layout's part: {NetOfIdle(floor, idle) - NetOfIdle(bare, idle):F1} ms)");
                }
            }
            else
            {
                Console.WriteLine($"  the floor: not measured ({Floor.Path} is not in this build)");
            }

            if (rounds.Count > 0)
            {
                bool withBare = rounds[0].Bare is not null;
                Console.WriteLine($"  interleaved: {rounds.Count} rounds in one circuit of {rounds[0].Turns} turns each of the users grid, the floor{(withBare ? " and the bare floor" : "")}, the order rotating every round, each net of the idle baseline:");
                foreach (var (round, i) in rounds.Select((round, i) => (round, i)))
                {
                    string bareColumns = round.Bare is double b ? $"   bare floor {b,5:F2} ms   layout's part {round.Floor - b,5:F2} ms" : "";
                    Console.WriteLine($"    round {i + 1}: users grid {round.Users,5:F2} ms   floor {round.Floor,5:F2} ms   own part {round.Users - round.Floor,5:F2} ms{bareColumns}");
                }

                var ownParts = rounds.Select(round => round.Users - round.Floor).ToList();
                Console.WriteLine($"    median:  users grid {Percentile(rounds.Select(round => round.Users).ToList(), 50),5:F2} ms   floor {Percentile(rounds.Select(round => round.Floor).ToList(), 50),5:F2} ms   own part {Percentile(ownParts, 50),5:F2} ms (range {ownParts.Min():F2}–{ownParts.Max():F2})");
                if (withBare)
                {
                    var layoutParts = rounds.Select(round => round.Floor - round.Bare!.Value).ToList();
                    Console.WriteLine($"             bare floor {Percentile(rounds.Select(round => round.Bare!.Value).ToList(), 50),5:F2} ms   the layout's part {Percentile(layoutParts, 50),5:F2} ms (range {layoutParts.Min():F2}–{layoutParts.Max():F2}); each median is of the rounds' own figures");
                }
            }

            Console.WriteLine("  where the window's process CPU went (the idle part is the baseline's rate times the window's length):");
            Console.WriteLine($"    1 circuit:{"",-12} {Split(lone, idle)}");
            if (floor is not null)
            {
                Console.WriteLine($"    the floor:{"",-12} {Split(floor, idle)}");
            }

            Console.WriteLine($"    {circuits} busy circuits:{"",-3} {Split(busy, idle)}");
            Console.WriteLine($"The portal's context switches per page turn (getrusage, ended threads included; idle baseline {idle.SwitchesPerSecond:N0} a second; 0 from a build that does not report them):");
            Console.WriteLine($"  1 circuit:{"",-14} {lone.ContextSwitches / (double)lone.Latencies.Count,8:N1}   net of the idle baseline: {(lone.ContextSwitches - idle.SwitchesPerSecond * lone.Wall.TotalSeconds) / lone.Latencies.Count,8:N1}");
            Console.WriteLine($"  {circuits} busy circuits:{"",-5} {busy.ContextSwitches / (double)busy.Latencies.Count,8:N1}   net of the idle baseline: {(busy.ContextSwitches - idle.SwitchesPerSecond * busy.Wall.TotalSeconds) / busy.Latencies.Count,8:N1}");
            if (floor is not null)
            {
                Console.WriteLine($"  the floor:{"",-14} {floor.ContextSwitches / (double)floor.Latencies.Count,8:N1}   net of the idle baseline: {(floor.ContextSwitches - idle.SwitchesPerSecond * floor.Wall.TotalSeconds) / floor.Latencies.Count,8:N1}");
            }

            if (idle.AllocatedPerSecond > 0)
            {
                // Allocation is what the code asked for; CPU time also carries the neighbours' load (preemption, caches).
                Console.WriteLine($"Managed allocation per page turn (GC.GetTotalAllocatedBytes delta / turns; idle baseline {idle.AllocatedPerSecond / 1024:N0} KB a second):");
                Console.WriteLine($"  1 circuit:{"",-14} {lone.AllocatedBytes / 1024.0 / lone.Latencies.Count,8:N1} KB   net of the idle baseline: {NetAllocation(lone, idle) / 1024,8:N1} KB   ({lone.Gen0Collections} gen-0 collections)");
                Console.WriteLine($"  {circuits} busy circuits:{"",-5} {busy.AllocatedBytes / 1024.0 / busy.Latencies.Count,8:N1} KB   net of the idle baseline: {NetAllocation(busy, idle) / 1024,8:N1} KB   ({busy.Gen0Collections} gen-0 collections)");
                if (floor is not null)
                {
                    Console.WriteLine($"  the floor:{"",-14} {floor.AllocatedBytes / 1024.0 / floor.Latencies.Count,8:N1} KB   net of the idle baseline: {NetAllocation(floor, idle) / 1024,8:N1} KB");
                }
            }
            else
            {
                Console.WriteLine("Managed allocation per page turn: not reported by this build's benchmark endpoint.");
            }
            Console.WriteLine("Page-turn latency (click on \"Next page\" until the first row has changed, in the browser):");
            Console.WriteLine($"  1 circuit:{"",-14} p50 {Percentile(lone.Latencies, 50),6:F1} ms   p95 {Percentile(lone.Latencies, 95),6:F1} ms");
            Console.WriteLine($"  {circuits} busy circuits:{"",-5} p50 {Percentile(busy.Latencies, 50),6:F1} ms   p95 {Percentile(busy.Latencies, 95),6:F1} ms   p95 {Percentile(busy.Latencies, 95) / Percentile(lone.Latencies, 95),4:F1}x the lone circuit");
            if (lone.Activities.Count > 0 && busy.Activities.Count > 0)
            {
                // The portal's part of the latency: each inbound message timed on the server, the browser's time left out.
                Console.WriteLine($"The server's part (each inbound circuit message, from the hub handing it over until the circuit is done with it, renders included; {lone.Activities.Count / (double)lone.Latencies.Count:F1} a turn):");
                Console.WriteLine($"  1 circuit:{"",-14} p50 {Percentile(lone.Activities, 50),6:F2} ms   p95 {Percentile(lone.Activities, 95),6:F2} ms   p99 {Percentile(lone.Activities, 99),6:F2} ms");
                Console.WriteLine($"  {circuits} busy circuits:{"",-5} p50 {Percentile(busy.Activities, 50),6:F2} ms   p95 {Percentile(busy.Activities, 95),6:F2} ms   p99 {Percentile(busy.Activities, 99),6:F2} ms   p95 {Percentile(busy.Activities, 95) / Percentile(lone.Activities, 95),4:F1}x the lone circuit");
            }

            Console.WriteLine($"Client CPU (this process, Playwright's driver and Chromium) over the busy run: {busy.ClientCpuMs / 1000:F1} s, against the server's {busy.ServerCpuMs / 1000:F1} s, in {busy.Wall.TotalSeconds:F1} s wall time on {Environment.ProcessorCount} cores.");

            foreach (var context in contexts)
            {
                await context.CloseAsync();
            }
        }
        finally
        {
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>
    /// 200: after 80 turns (the default until the sixteenth round) the portal's JIT still compiled 215 methods at tier 1
    /// during the 200 measured turns, and none in a later run (ADMINPORTAL_BENCH_JIT).
    /// </summary>
    private const int DefaultWarmUpTurns = 200;

    /// <summary>
    /// Turns before anything is measured (ADMINPORTAL_BENCH_WARMUP, default 200), printed in blocks of ten: with the
    /// tiered JIT a method runs unoptimised until it has been called 30 times and the background compiler has caught up,
    /// so the first turns after a start cost several times what the steady state does (99 ms against 12 ms, measured in
    /// the tenth round). The figures after this are the steady state's; the blocks show how long it took to get there.
    /// </summary>
    private static async Task WarmUpAsync(HttpClient http, IBrowserContext context, string baseUrl, GridTurn? grid = null)
    {
        grid ??= Users;
        int turns = int.TryParse(Environment.GetEnvironmentVariable("ADMINPORTAL_BENCH_WARMUP"), out int given) ? Math.Max(0, given) : DefaultWarmUpTurns;
        if (turns == 0)
        {
            return;
        }

        var page = await context.NewPageAsync();
        await OpenAsync(page, baseUrl + grid.Path);
        var blocks = new List<string>();
        for (int done = 0; done < turns; done += 10)
        {
            var before = await SnapshotAsync(http, collect: false);
            int block = Math.Min(10, turns - done);
            for (int i = 0; i < block; i++)
            {
                await TurnAsync(page, grid);
            }

            var after = await SnapshotAsync(http, collect: false);
            blocks.Add($"{(after.CpuMilliseconds - before.CpuMilliseconds) / block:F0}");
        }

        await LeaveAsync(page);
        await Task.Delay(3000); // the tier-1 compiler's queue drains
        Console.WriteLine($"Warm-up{(grid == Users ? "" : $" of {grid.Path}")}: {turns} page turns in one circuit before the measurements; process CPU per turn, blocks of ten (ms, idle not netted): {string.Join(" ", blocks)}");
    }

    private sealed record IdleRun(double Seconds, double MsPerSecond, double AllocatedPerSecond, double SwitchesPerSecond = 0);

    private static double NetOfIdle(TurnRun run, IdleRun idle) =>
        Math.Max(0, run.ServerCpuMs - (idle.MsPerSecond * run.Wall.TotalSeconds)) / run.Latencies.Count;

    private static double NetAllocation(TurnRun run, IdleRun idle) =>
        Math.Max(0, run.AllocatedBytes - (idle.AllocatedPerSecond * run.Wall.TotalSeconds)) / run.Latencies.Count;

    /// <summary>The window's process CPU as turns and background: without it a "per turn" figure hides how much of it is the idle portal.</summary>
    private static string Split(TurnRun run, IdleRun idle)
    {
        double background = Math.Min(run.ServerCpuMs, idle.MsPerSecond * run.Wall.TotalSeconds);
        double turns = run.ServerCpuMs - background;
        return $"{run.ServerCpuMs,8:N0} ms in {run.Wall.TotalSeconds:F1} s: turns {turns,7:N0} ms ({turns / run.ServerCpuMs,4:P0}), background {background,6:N0} ms ({background / run.ServerCpuMs,4:P0}); {run.ServerCpuMs / run.Wall.TotalMilliseconds / Environment.ProcessorCount,4:P0} of {Environment.ProcessorCount} cores";
    }

    /// <summary>
    /// The server's CPU while nothing happens: one users grid open, no clicks, for 15 s. Without it, every page turn is
    /// charged with the idle cost of the seconds it took (on this machine 15–30 ms of CPU a second, most of it the
    /// thread pool spinning while it waits for work), which at 0.3–0.5 s a turn is a third of the "per turn" figure.
    /// </summary>
    private static async Task<IdleRun> IdleCpuAsync(HttpClient http, IBrowserContext context, string baseUrl)
    {
        var page = await context.NewPageAsync();
        await OpenAsync(page, baseUrl + "/users");
        await Task.Delay(3000);
        var before = await SnapshotAsync(http, collect: false);
        var wall = Stopwatch.StartNew();
        await Task.Delay(15_000);
        var after = await SnapshotAsync(http, collect: false);
        long switches = after.ContextSwitches - before.ContextSwitches;
        wall.Stop();
        await LeaveAsync(page);
        return new IdleRun(wall.Elapsed.TotalSeconds, (after.CpuMilliseconds - before.CpuMilliseconds) / wall.Elapsed.TotalSeconds, (after.AllocatedBytes - before.AllocatedBytes) / wall.Elapsed.TotalSeconds,
            switches / wall.Elapsed.TotalSeconds);
    }

    /// <param name="Activities">The server's time over each inbound circuit message in the window (the navigation and the render acknowledgements of each turn).</param>
    private sealed record TurnRun(List<double> Latencies, double ServerCpuMs, double ClientCpuMs, TimeSpan Wall, long AllocatedBytes, int Gen0Collections, long ContextSwitches, List<double> Activities);

    /// <param name="Marginal">
    /// What one more circuit costs once the first half are open: the heap with all open minus the heap with the first half
    /// open, over the second half. The all-over-N figure also carries process-wide pools (ArrayPool&lt;byte&gt; and
    /// ArrayPool&lt;RenderTreeFrame&gt;, filled by the first batches' serialisation and rendering, bounded by threads and size
    /// buckets, not by circuits: docs/performance.md, ninth round); the marginal figure is what scales with circuits.
    /// </param>
    private sealed record HeapRun(long None, long Open, double PerCircuit, double LeftOver, double Marginal, int SecondHalf);

    /// <summary>Each context opens the page (a new circuit); heap is read with none open, with half open, with all open, and after closing.</summary>
    private static async Task<HeapRun> HeapPerCircuitAsync(HttpClient http, List<IBrowserContext> contexts, string url, string name, int serverPid)
    {
        long none = await StableHeapAsync(http);
        await GcDumpAsync(serverPid, name, "none");
        var pages = new List<IPage>();
        int firstHalf = contexts.Count / 2;
        long half = none;
        foreach (var context in contexts)
        {
            if (pages.Count == firstHalf && firstHalf > 0)
            {
                await Task.Delay(2000);
                half = await StableHeapAsync(http);
            }

            var page = await context.NewPageAsync();
            await OpenAsync(page, url);
            pages.Add(page);
        }

        await Task.Delay(2000); // let the last renders and the circuits' first revalidation settle
        long open = await StableHeapAsync(http);
        await GcDumpAsync(serverPid, name, "open");
        foreach (var page in pages)
        {
            await LeaveAsync(page);
        }

        await Task.Delay(3000);
        long closed = await StableHeapAsync(http);
        int secondHalf = contexts.Count - firstHalf;
        return new HeapRun(none, open, (open - none) / (double)contexts.Count, (closed - none) / (double)contexts.Count, (open - half) / (double)secondHalf, secondHalf);
    }

    private static readonly int HeapRepeats = int.TryParse(Environment.GetEnvironmentVariable("ADMINPORTAL_BENCH_HEAP_REPEATS"), out int repeats) && repeats > 0 ? repeats : 3;

    private const double StableWithin = 0.01;
    private static int stableReadings;
    private static int maxReadings;

    /// <summary>
    /// The heap after forced full GCs, read once a second until two readings in a row agree within
    /// <see cref="StableWithin"/>: a single reading taken while circuits of closed tabs, sign-in requests or the
    /// first renders were still being released swung the baseline by a factor of 2.5 between two runs.
    /// </summary>
    private static async Task<long> StableHeapAsync(HttpClient http)
    {
        long previous = (await SnapshotAsync(http)).HeapBytes;
        for (int reading = 2; reading <= 30; reading++)
        {
            await Task.Delay(1000);
            long heap = (await SnapshotAsync(http)).HeapBytes;
            if (Math.Abs(heap - previous) <= StableWithin * Math.Max(heap, previous))
            {
                stableReadings += reading;
                maxReadings = Math.Max(maxReadings, reading);
                return Math.Min(heap, previous);
            }

            previous = heap;
        }

        throw new TimeoutException("The heap did not settle within 30 forced collections: something in the portal keeps allocating.");
    }

    /// <summary>With ADMINPORTAL_BENCH_GCDUMP set to a folder, a dotnet-gcdump of the portal at each heap reading (dotnet-gcdump on PATH).</summary>
    private static async Task GcDumpAsync(int serverPid, string page, string when)
    {
        if (Environment.GetEnvironmentVariable("ADMINPORTAL_BENCH_GCDUMP") is not { Length: > 0 } folder)
        {
            return;
        }

        Directory.CreateDirectory(folder);
        var info = new ProcessStartInfo("dotnet-gcdump") { UseShellExecute = false, RedirectStandardOutput = true };
        foreach (string arg in new[] { "collect", "-p", serverPid.ToString(), "-o", Path.Combine(folder, $"{page.Split(' ')[0]}-{page.Split(' ').ElementAtOrDefault(1)}-{when}.gcdump") })
        {
            info.ArgumentList.Add(arg);
        }

        using var dump = Process.Start(info)!;
        await dump.StandardOutput.ReadToEndAsync();
        await dump.WaitForExitAsync();
    }

    /// <summary>Every context opens the users grid, turns 2 pages to warm up, then all turn <paramref name="turns"/> pages at once.</summary>
    private static async Task<TurnRun> PageTurnsAsync(HttpClient http, List<IBrowserContext> contexts, string baseUrl, int turns, GridTurn? grid = null, bool profile = true)
    {
        grid ??= Users;
        var pages = new List<IPage>();
        foreach (var context in contexts)
        {
            var page = await context.NewPageAsync();
            await OpenAsync(page, baseUrl + grid.Path);
            await TurnAsync(page, grid);
            await TurnAsync(page, grid);
            pages.Add(page);
        }

        // The profilers record the users grid's lone turns, or with ADMINPORTAL_BENCH_PROFILE=floor the floor's.
        bool profiled = profile && contexts.Count == 1 && grid == (Environment.GetEnvironmentVariable("ADMINPORTAL_BENCH_PROFILE") == "floor" ? Floor : Users);
        using var trace = profiled ? await StartTraceAsync() : null;
        using var perf = profiled ? await StartPerfAsync() : null;
        var jitBefore = JitCompiled();
        var server = await SnapshotAsync(http, collect: false, takeActivities: true);
        double client = ClientCpuMs();
        var wall = Stopwatch.StartNew();
        var latencies = await Task.WhenAll(pages.Select(async page =>
        {
            var times = new List<double>();
            for (int i = 0; i < turns; i++)
            {
                times.Add(await TurnAsync(page, grid));
            }

            return times;
        }));
        wall.Stop();
        double clientCpu = ClientCpuMs() - client;
        var after = await SnapshotAsync(http, collect: false, takeActivities: true);
        var jitAfter = JitCompiled();
        if (jitLogFile is not null)
        {
            Console.WriteLine($"  (JIT during {turns} turns of {grid.Path} in {contexts.Count} circuit(s): {jitAfter.All - jitBefore.All} methods compiled, {jitAfter.Tier1 - jitBefore.Tier1} of them at tier 1; lines {jitBefore.All + 1}–{jitAfter.All} of {jitLogFile})");
        }

        foreach (var profiler in new[] { trace, perf }.OfType<Process>())
        {
            // dotnet-trace writes its file out on Ctrl+C.
            Process.Start("kill", ["-INT", profiler.Id.ToString()]).WaitForExit();
            await profiler.WaitForExitAsync();
        }

        foreach (var page in pages)
        {
            await LeaveAsync(page);
        }

        return new TurnRun(latencies.SelectMany(l => l).ToList(), after.CpuMilliseconds - server.CpuMilliseconds, clientCpu, wall.Elapsed,
            after.AllocatedBytes - server.AllocatedBytes, after.Gen0Collections - server.Gen0Collections, after.ContextSwitches - server.ContextSwitches,
            [.. after.ActivityMs ?? []]);
    }

    /// <summary>With ADMINPORTAL_BENCH_TRACE set to a file name, a CPU-sampling dotnet-trace of the portal over the lone circuit's turns (dotnet-trace on PATH).</summary>
    private static async Task<Process?> StartTraceAsync()
    {
        if (Environment.GetEnvironmentVariable("ADMINPORTAL_BENCH_TRACE") is not { Length: > 0 } file)
        {
            return null;
        }

        // ADMINPORTAL_BENCH_TRACE_PROFILE=gc-verbose samples allocations (an event every 100 KB, with its type) instead.
        string profile = Environment.GetEnvironmentVariable("ADMINPORTAL_BENCH_TRACE_PROFILE") is { Length: > 0 } chosen ? chosen : "dotnet-sampled-thread-time";
        var trace = Process.Start(new ProcessStartInfo("dotnet-trace", ["collect", "-p", portalPid.ToString(), "--profile", profile, "-o", file])
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
        })!;
        trace.OutputDataReceived += (_, _) => { };
        trace.BeginOutputReadLine();
        await Task.Delay(3000); // the session takes a moment to start
        return trace;
    }

    /// <summary>
    /// With ADMINPORTAL_BENCH_PERF set to a file name, Linux perf samples the portal's on-CPU stacks over the lone
    /// circuit's turns (perf on PATH; the portal then runs with DOTNET_PerfMapEnabled=1 so that perf can name JIT-compiled
    /// methods). Unlike dotnet-trace's sampled thread time, it counts only threads that are running.
    /// </summary>
    private static async Task<Process?> StartPerfAsync()
    {
        if (Environment.GetEnvironmentVariable("ADMINPORTAL_BENCH_PERF") is not { Length: > 0 } file)
        {
            return null;
        }

        var perf = Process.Start(new ProcessStartInfo("perf", ["record", "-F", "997", "-g", "-p", portalPid.ToString(), "-o", file])
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        perf.OutputDataReceived += (_, _) => { };
        perf.ErrorDataReceived += (_, _) => { };
        perf.BeginOutputReadLine();
        perf.BeginErrorReadLine();
        await Task.Delay(1000);
        return perf;
    }

    /// <summary>A page whose "Next page" link turns a grid, and the attribute that names its rows.</summary>
    private sealed record GridTurn(string Path, string RowAttribute);

    private static readonly GridTurn Users = new("/users", "data-user-id");

    /// <summary>
    /// The portal's page-turn floor (App/Features/Diagnostics/TurnFloorPage.razor): the users grid's turn without its
    /// work. Its figure, from the same run, says how much of a users-grid turn any 25-row page turn costs on this machine.
    /// </summary>
    private static readonly GridTurn Floor = new("/diagnostics/turn-floor", "data-row-id");

    /// <summary>The floor in a layout that is only the page (TurnFloorBarePage): the floor minus this is the portal layout's part.</summary>
    private static readonly GridTurn BareFloor = new("/diagnostics/turn-floor/bare", "data-row-id");

    /// <summary>The floor's lone turns, warmed up as the users grid's were; null for a build without the page (ADMINPORTAL_BENCH_PORTAL).</summary>
    private static async Task<TurnRun?> FloorAsync(HttpClient http, IBrowserContext context, string baseUrl, int turns, GridTurn? floor = null)
    {
        floor ??= Floor;
        var probe = await context.NewPageAsync();
        int rows = 0;
        try
        {
            await OpenAsync(probe, baseUrl + floor.Path);
            rows = await probe.Locator($"[{floor.RowAttribute}]").CountAsync();
            await LeaveAsync(probe);
        }
        catch (PlaywrightException)
        {
            // An older build answers "not found" (a refused navigation, or no interactive page before the timeout).
            await probe.CloseAsync();
        }

        if (rows == 0)
        {
            return null;
        }

        await WarmUpAsync(http, context, baseUrl, floor);
        return await PageTurnsAsync(http, [context], baseUrl, turns, floor);
    }

    private sealed record Round(int Turns, double Users, double Floor, double? Bare);

    /// <summary>
    /// ADMINPORTAL_BENCH_ROUNDS rounds (default 7) of the users grid's lone turns, the floor's and the bare floor's, a
    /// quarter of the turns each (at least 10), in one circuit, the order rotating every round. A lone run and a floor
    /// run a minute apart differed by the machine's load as much as by the page (a lone turn read 3.8–5.8 ms in three
    /// runs of one build, sixteenth round); within a round they share the load, and the median of the rounds'
    /// differences is steadier than the difference of one long window each.
    /// </summary>
    private static async Task<List<Round>> RoundsAsync(HttpClient http, IBrowserContext context, string baseUrl, int turns, IdleRun idle, bool withBare)
    {
        int count = int.TryParse(Environment.GetEnvironmentVariable("ADMINPORTAL_BENCH_ROUNDS"), out int asked) && asked >= 0 ? asked : 7;
        int perRound = Math.Max(10, turns / 4);
        GridTurn[] grids = withBare ? [Users, Floor, BareFloor] : [Users, Floor];
        var rounds = new List<Round>();
        for (int i = 0; i < count; i++)
        {
            var net = new Dictionary<GridTurn, double>();
            for (int j = 0; j < grids.Length; j++)
            {
                var grid = grids[(i + j) % grids.Length];
                net[grid] = NetOfIdle(await PageTurnsAsync(http, [context], baseUrl, perRound, grid, profile: false), idle);
            }

            rounds.Add(new Round(perRound, net[Users], net[Floor], withBare ? net[BareFloor] : null));
        }

        return rounds;
    }

    private static async Task<double> TurnAsync(IPage page, GridTurn grid)
    {
        string selector = $"[{grid.RowAttribute}]";
        string? first = await page.Locator(selector).First.GetAttributeAsync(grid.RowAttribute);
        var watch = Stopwatch.StartNew();
        // A generous timeout: on a shared 2-core machine a click can wait long for its turn.
        await page.Locator("[aria-label=\"Next page\"]").ClickAsync(new LocatorClickOptions { Timeout = 120_000 });
        await page.WaitForFunctionAsync(
            "([attribute, first]) => { const row = document.querySelector('[' + attribute + ']'); return row !== null && row.getAttribute(attribute) !== first; }",
            new object?[] { grid.RowAttribute, first }, new PageWaitForFunctionOptions { PollingInterval = 1, Timeout = 120_000 });
        return watch.Elapsed.TotalMilliseconds;
    }

    private static async Task<IBrowserContext> SignInAsync(IBrowser browser, string baseUrl)
    {
        var context = await browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
        // A shared 2-core machine under load can take far longer than Playwright's default 30 s for a page.
        context.SetDefaultTimeout(120_000);
        context.SetDefaultNavigationTimeout(120_000);
        var page = await context.NewPageAsync();
        await page.GotoAsync(baseUrl + "/");
        await page.GetByRole(AriaRole.Link, new() { Name = "Development sign-in (OpenID Connect)" }).ClickAsync();
        await page.GetByRole(AriaRole.Button).Filter(new() { HasText = Persona }).First.ClickAsync();
        await page.Locator("[data-interactive=true]").WaitForAsync(new LocatorWaitForOptions { Timeout = 60_000 });
        await LeaveAsync(page);
        return context;
    }

    /// <summary>
    /// Closes a tab the way a person does, so that its circuit ends now: leaving the page fires Blazor's pagehide
    /// beacon, which disposes the circuit on the server. A bare CloseAsync skips it, and the server then keeps each
    /// closed tab's circuit as a disconnected one for Circuits:DisconnectedRetention (3 minutes): that, not the GC, is
    /// what made the first version's "none" readings swing between runs.
    /// </summary>
    private static async Task LeaveAsync(IPage page)
    {
        await page.GotoAsync("about:blank");
        await page.CloseAsync();
    }

    /// <summary>Loads the page and waits for its circuit: clicks on prerendered markup are lost.</summary>
    private static async Task OpenAsync(IPage page, string url)
    {
        await page.GotoAsync(url);
        await page.Locator("[data-interactive=true]").WaitForAsync(new LocatorWaitForOptions { Timeout = 60_000 });
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
    }

    private static async Task<BenchmarkSnapshot> SnapshotAsync(HttpClient http, bool collect = true, bool takeActivities = false) =>
        (await http.GetFromJsonAsync<BenchmarkSnapshot>(BenchmarkEndpoints.Path + (collect ? "?collect=true" : "?collect=false") + (takeActivities ? "&activities=take" : "")))!;

    private static double Percentile(List<double> values, int percent)
    {
        var sorted = values.Order().ToList();
        return sorted[Math.Clamp((int)Math.Ceiling(percent / 100.0 * sorted.Count) - 1, 0, sorted.Count - 1)];
    }

    /// <summary>CPU time of this process and its descendants (Playwright's driver, Chromium), except the portal's own tree.</summary>
    private static double ClientCpuMs()
    {
        var parents = new Dictionary<int, int>();
        var ticks = new Dictionary<int, long>();
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid))
            {
                continue;
            }

            try
            {
                string stat = File.ReadAllText(Path.Combine(dir, "stat"));
                // After the command name in parentheses: state ppid ... utime (14th field) stime (15th).
                string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                parents[pid] = int.Parse(fields[1]);
                ticks[pid] = long.Parse(fields[11]) + long.Parse(fields[12]);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The process ended while we looked.
            }
        }

        int self = Environment.ProcessId;
        long total = 0;
        foreach (var (pid, used) in ticks)
        {
            int at = pid;
            while (at > 1 && at != self && parents.TryGetValue(at, out int parent))
            {
                if (parent == self && IsPortal(at))
                {
                    at = 0;
                    break;
                }

                at = parent;
            }

            total += at == self ? used : 0;
        }

        return total * 10.0; // USER_HZ is 100 on Linux
    }

    private static int portalPid;

    /// <summary>ADMINPORTAL_BENCH_JIT: the portal's JIT log (DOTNET_JitDisasmSummary), or null.</summary>
    private static string? jitLogFile;

    /// <summary>How many methods the portal's JIT has compiled so far, and how many of them at tier 1 (0 without ADMINPORTAL_BENCH_JIT).</summary>
    private static (int All, int Tier1) JitCompiled()
    {
        if (jitLogFile is null || !File.Exists(jitLogFile))
        {
            return (0, 0);
        }

        using var reader = new StreamReader(new FileStream(jitLogFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite));
        int all = 0, tier1 = 0;
        while (reader.ReadLine() is { } line)
        {
            all++;
            tier1 += line.Contains("[Tier1", StringComparison.Ordinal) ? 1 : 0;
        }

        return (all, tier1);
    }

    private static bool IsPortal(int pid) => pid == portalPid;

    private static Process Start(string dll, string root, Dictionary<string, string> settings, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { WorkingDirectory = root, UseShellExecute = false };
        info.ArgumentList.Add(dll);
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in settings)
        {
            info.Environment[key] = value;
        }

        var process = Process.Start(info)!;
        portalPid = process.Id;
        return process;
    }

    private static async Task WaitUntilLiveAsync(HttpClient http, Process server)
    {
        // Up to 10 minutes: a cold start on a loaded 2-core machine took more than 2.
        for (int i = 0; i < 3000; i++)
        {
            if (server.HasExited)
            {
                throw new InvalidOperationException($"The portal exited with code {server.ExitCode} before answering.");
            }

            try
            {
                if ((await http.GetAsync("/health/live")).StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(200);
        }

        throw new TimeoutException("The portal did not answer /health/live within 10 minutes.");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "AdminPortal.csproj")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Run from inside the repository (./bench.sh circuits).");
    }
}
