using System.Text.Json;

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
}
