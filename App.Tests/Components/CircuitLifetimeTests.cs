using AdminPortal.Tests.Infrastructure;
using AdminPortal.App.Components;
using Microsoft.AspNetCore.Components.Server;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace AdminPortal.Tests.Components;

/// <summary>The <c>Circuits</c> section reaches Blazor's own CircuitOptions, and a bad value stops the start.</summary>
public class CircuitLifetimeTests
{
    private sealed class Portal(Dictionary<string, string> settings) : WebApplicationFactory<Program>
    {
        private readonly string folder = Directory.CreateTempSubdirectory("adminportal-circuits-").FullName;

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseEnvironment("Development");
            builder.UseSetting("ConnectionStrings:Portal", $"Data Source={Path.Combine(folder, "portal.db")}");
            builder.UseSetting("Logging:LogLevel:Default", "Warning");
            foreach (var (key, value) in settings)
            {
                builder.UseSetting(key, value);
            }
        }

        protected override void Dispose(bool disposing)
        {
            base.Dispose(disposing);
            TempFolder.Delete(folder);
        }
    }

    [Fact]
    public void Start_CircuitsSection_ReachesCircuitOptions()
    {
        using var portal = new Portal(new()
        {
            ["Circuits:DisconnectedRetention"] = "00:00:45",
            ["Circuits:MaxDisconnectedRetained"] = "7",
            ["Circuits:JSInteropTimeout"] = "00:00:20",
        });

        var options = portal.Services.GetRequiredService<IOptions<CircuitOptions>>().Value;

        Assert.Equal(TimeSpan.FromSeconds(45), options.DisconnectedCircuitRetentionPeriod);
        Assert.Equal(7, options.DisconnectedCircuitMaxRetained);
        Assert.Equal(TimeSpan.FromSeconds(20), options.JSInteropDefaultCallTimeout);
    }

    [Fact]
    public void Start_NoCircuitsSection_UsesThePortalsDefaults()
    {
        using var portal = new Portal([]);

        var options = portal.Services.GetRequiredService<IOptions<CircuitOptions>>().Value;

        Assert.Equal(TimeSpan.FromMinutes(3), options.DisconnectedCircuitRetentionPeriod);
        Assert.Equal(500, options.DisconnectedCircuitMaxRetained);
        Assert.Equal(TimeSpan.FromMinutes(1), options.JSInteropDefaultCallTimeout);
    }

    [Theory]
    [InlineData("DisconnectedRetention", "-00:01:00", "Circuits:DisconnectedRetention is -00:01:00")]
    [InlineData("DisconnectedRetention", "1.00:00:00", "Circuits:DisconnectedRetention is 1.00:00:00")]
    [InlineData("DisconnectedRetention", "three minutes<script>", "Circuits:DisconnectedRetention: \"three minutes<script>\" is not a valid time span")]
    [InlineData("MaxDisconnectedRetained", "-1", "Circuits:MaxDisconnectedRetained is -1")]
    [InlineData("MaxDisconnectedRetained", "99999999999", "Circuits:MaxDisconnectedRetained: \"99999999999\" is not a valid whole number")]
    [InlineData("JSInteropTimeout", "00:00:00", "Circuits:JSInteropTimeout is 00:00:00")]
    [InlineData("WebSocketCompression", "maybe<script>", "Circuits:WebSocketCompression: \"maybe<script>\" is not a valid true or false")]
    public void Start_InvalidCircuitsValue_RefusesWithTheSettingsName(string key, string value, string message)
    {
        using var portal = new Portal(new() { [$"Circuits:{key}"] = value });

        var error = Assert.ThrowsAny<Exception>(() => portal.Services);

        Assert.Contains(message, error.ToString());
    }

    [Theory]
    [InlineData(null, false)] // the framework's default: compressed
    [InlineData("true", false)]
    [InlineData("false", true)]
    [InlineData("False", true)]
    public void WebSocketCompression_Setting_ReachesTheEndpointOptions(string? value, bool disabled)
    {
        var settings = new Dictionary<string, string?>();
        if (value is not null)
        {
            settings["Circuits:WebSocketCompression"] = value;
        }

        var lifetime = CircuitLifetime.From(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        var options = new ServerComponentsEndpointOptions();
        lifetime.ApplyTo(options);

        Assert.Equal(disabled, options.DisableWebSocketCompression);
    }
}
