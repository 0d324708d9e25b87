using System.Text.Json;
using System.Xml.Linq;
using AdminPortal.Tests.Infrastructure;

namespace AdminPortal.Tests.Grid;

/// <summary>
/// The runtime settings the portal ships with (AdminPortal.runtimeconfig.json, what <c>dotnet AdminPortal.dll</c> reads):
/// idle thread-pool workers sleep at once instead of spinning, which was more CPU than a page turn's own work; and no
/// dynamic PGO tier, which doubled the JIT's CPU in the first hundred page turns after a start.
/// </summary>
public class ThreadPoolSpinTests
{
    [Fact]
    public void RuntimeConfig_ThreadPoolWorkersDoNotSpin()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "AdminPortal.runtimeconfig.json");
        using var config = JsonDocument.Parse(File.ReadAllText(path));

        var properties = config.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties");

        Assert.True(properties.TryGetProperty("System.Threading.ThreadPool.UnfairSemaphoreSpinLimit", out var limit), $"{path} does not set the spin limit.");
        Assert.Equal(0, limit.GetInt32());
    }

    [Fact]
    public void RuntimeConfig_NoDynamicPgoTier()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "AdminPortal.runtimeconfig.json");
        using var config = JsonDocument.Parse(File.ReadAllText(path));

        var properties = config.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties");

        Assert.True(properties.TryGetProperty("System.Runtime.TieredPGO", out var pgo), $"{path} does not set TieredPGO.");
        Assert.False(pgo.GetBoolean());
    }

    /// <summary>
    /// The in-process benchmarks time the portal's code in the benchmark's own process, so that process must run on
    /// the portal's runtime settings: with dynamic PGO and spinning on, the users benchmark timed a runtime the portal
    /// does not use. Read from the two project files, as the test project does not build the benchmarks.
    /// </summary>
    [Fact]
    public void BenchmarkProject_RunsOnThePortalsRuntimeSettings()
    {
        static (string? Pgo, string[] Options) Settings(string project)
        {
            var xml = XDocument.Load(Path.Combine(RepositoryRoot.Path, project));
            string? pgo = xml.Descendants("TieredPGO").SingleOrDefault()?.Value;
            string[] options = xml.Descendants("RuntimeHostConfigurationOption")
                .Select(o => $"{o.Attribute("Include")?.Value}={o.Attribute("Value")?.Value}").Order().ToArray();
            return (pgo, options);
        }

        var portal = Settings("AdminPortal.csproj");
        var benchmarks = Settings(Path.Combine("App.Benchmarks", "AdminPortal.Benchmarks.csproj"));

        Assert.Equal("false", portal.Pgo);
        Assert.Contains("System.Threading.ThreadPool.UnfairSemaphoreSpinLimit=0", portal.Options);
        Assert.Equal(portal.Pgo, benchmarks.Pgo);
        Assert.Equal(portal.Options, benchmarks.Options);
    }
}
