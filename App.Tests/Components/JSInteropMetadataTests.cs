using System.Reflection;
using System.Text.Json;
using AdminPortal.App.Components;
using AdminPortal.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.JSInterop;
using MudBlazor;
using MudBlazor.Interop;
using MudBlazor.Services;

namespace AdminPortal.Tests.Components;

/// <summary>
/// The circuit's JS runtime resolves through <see cref="JSInteropMetadata"/>: the same JSON as the framework's own
/// options, no metadata for the base library's interfaces, and one set of emitted accessors for every circuit.
/// The browser tests are what show that every JS-interop call of Blazor and MudBlazor still works through it.
/// </summary>
public class JSInteropMetadataTests : IClassFixture<JSInteropMetadataTests.Portal>
{
    public sealed class Portal : WebApplicationFactory<Program>
    {
        private readonly string folder = Directory.CreateTempSubdirectory("adminportal-jsmeta-").FullName;

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseEnvironment("Development");
            builder.UseSetting("ConnectionStrings:Portal", $"Data Source={Path.Combine(folder, "portal.db")}");
            builder.UseSetting("Logging:LogLevel:Default", "Warning");
        }

        protected override void Dispose(bool disposing)
        {
            base.Dispose(disposing);
            TempFolder.Delete(folder);
        }
    }

    private readonly Portal portal;

    public JSInteropMetadataTests(Portal portal) => this.portal = portal;

    private static JsonSerializerOptions OptionsOf(IJSRuntime runtime) =>
        (JsonSerializerOptions)typeof(JSRuntime).GetProperty("JsonSerializerOptions", BindingFlags.Instance | BindingFlags.NonPublic)!.GetValue(runtime)!;

    private (AsyncServiceScope Scope, IJSRuntime Runtime) Circuit()
    {
        var scope = portal.Services.CreateAsyncScope();
        return (scope, scope.ServiceProvider.GetRequiredService<IJSRuntime>());
    }

    [Fact]
    public async Task CircuitRuntime_IsTheFrameworks_ResolvingThroughTheSharedMetadata()
    {
        var (scope, runtime) = Circuit();
        await using var _ = scope;

        Assert.Equal("RemoteJSRuntime", runtime.GetType().Name); // the circuit factory casts to it
        Assert.True(JSInteropMetadata.Applied(runtime));
    }

    [Fact]
    public async Task Arguments_SerializeAsTheFrameworksOwnOptionsDo_HostileStringsIncluded()
    {
        var (scope, runtime) = Circuit();
        await using var _ = scope;
        var frameworks = new JsonSerializerOptions { MaxDepth = 32, PropertyNamingPolicy = JsonNamingPolicy.CamelCase, PropertyNameCaseInsensitive = true, TypeInfoResolver = new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver() };
        object?[] args =
        [
            5, Guid.Parse("8b2c4f8e-6a51-4c59-9a0e-0d7c1f3b2a10"), "</script><img src=x onerror=alert(1)>\u202e\0'\"", 2.5, true, null,
            new BrowserWindowSize { Width = 1280, Height = 800 }, new ResizeOptions { ReportRate = 50 }, new[] { "a", "b" },
            new Dictionary<string, object?> { ["n"] = 1, ["s"] = "x" }, Breakpoint.Md,
        ];

        Assert.Equal(JsonSerializer.Serialize(args, frameworks), JsonSerializer.Serialize(args, OptionsOf(runtime)));
        var rect = JsonSerializer.Deserialize<BoundingClientRect>("""{"top":1.5,"left":2,"width":300,"height":40}""", OptionsOf(runtime))!;
        Assert.Equal((1.5, 2, 300, 40), (rect.Top, rect.Left, rect.Width, rect.Height));
    }

    [Fact]
    public async Task InterfacesOfArguments_GetNoMetadata_CollectionsAndInteropTypesStillDo()
    {
        var (scope, runtime) = Circuit();
        await using var disposeScope = scope;
        var options = OptionsOf(runtime);
        JsonSerializer.Serialize(new object?[] { 5, Guid.NewGuid(), "s" }, options);

        Assert.False(options.TryGetTypeInfo(typeof(IComparable<int>), out _));
        Assert.False(options.TryGetTypeInfo(typeof(System.Numerics.INumber<int>), out _));
        Assert.True(options.TryGetTypeInfo(typeof(IEnumerable<string>), out _));
        Assert.True(options.TryGetTypeInfo(typeof(IReadOnlyDictionary<string, int>), out _));
        Assert.True(options.TryGetTypeInfo(typeof(IJSObjectReference), out _));
    }

    [Fact]
    public async Task TwoCircuits_ShareOneSetOfEmittedAccessors_YetKeepTheirOwnMetadata()
    {
        var (scopeA, a) = Circuit();
        var (scopeB, b) = Circuit();
        await using var _ = scopeA;
        await using var __ = scopeB;

        var infoA = OptionsOf(a).GetTypeInfo(typeof(BrowserWindowSize));
        var dictA = OptionsOf(a).GetTypeInfo(typeof(Dictionary<string, List<string>>));
        var listA = OptionsOf(a).GetTypeInfo(typeof(List<string>));
        // System.Text.Json's own cache of emitted accessors lets them go after a second unused: circuits opened
        // further apart than that would each emit their own, which is what this must show does not happen.
        await Task.Delay(1600);
        var infoB = OptionsOf(b).GetTypeInfo(typeof(BrowserWindowSize));

        Assert.NotSame(infoA, infoB);
        var widthA = infoA.Properties.Single(p => p.Name == "width");
        var widthB = infoB.Properties.Single(p => p.Name == "width");
        Assert.Same(widthA.Get, widthB.Get);
        Assert.Same(widthA.Set, widthB.Set);
        Assert.Same(infoA.CreateObject, infoB.CreateObject);
        var size = JsonSerializer.Deserialize<BrowserWindowSize>("""{"width":1024,"height":768}""", OptionsOf(b))!;
        Assert.Equal((1024, 768), (size.Width, size.Height));

        // Collections a call reads back (Blazor's JS-component configuration, MudBlazor's breakpoints) share theirs too.
        var dictB = OptionsOf(b).GetTypeInfo(typeof(Dictionary<string, List<string>>));
        Assert.NotNull(dictA.CreateObject);
        Assert.Same(dictA.CreateObject, dictB.CreateObject);
        Assert.Same(listA.CreateObject, OptionsOf(b).GetTypeInfo(typeof(List<string>)).CreateObject);
        var read = JsonSerializer.Deserialize<Dictionary<string, List<string>>>("""{"k":["<b>","\u0000"]}""", OptionsOf(b))!;
        Assert.Equal(["<b>", "\0"], read["k"]);
    }
}
