using AdminPortal.App.Components.Layout;
using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Services;

namespace AdminPortal.Tests.Components;

/// <summary>
/// The layout's dialog provider: a navigation with no dialog open renders nothing (MudDialogProvider rendered on every
/// navigation, one more render batch each time), and one with a dialog open still closes it and renders.
/// </summary>
public sealed class QuietDialogProviderTests : BunitContext, IAsyncLifetime
{
    private const string HostileTitle = "<script>alert('x')</script>\u202Egnp.exe";

    public QuietDialogProviderTests()
    {
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
    }

    public Task InitializeAsync() => Task.CompletedTask;

    // MudBlazor's services are only asynchronously disposable.
    public new async Task DisposeAsync() => await base.DisposeAsync();

    [Fact]
    public async Task Navigation_WithNoDialogOpen_DoesNotRender()
    {
        var provider = Render<QuietDialogProvider>();
        var navigation = Services.GetRequiredService<NavigationManager>();
        int renders = provider.RenderCount;

        await provider.InvokeAsync(() => navigation.NavigateTo("/users?after=abc"));
        await provider.InvokeAsync(() => navigation.NavigateTo("/posts"));

        Assert.Equal(renders, provider.RenderCount);
        Assert.Empty(provider.FindAll(".mud-dialog"));
    }

    [Fact]
    public async Task Navigation_WithADialogOpen_ClosesItAndRenders_ThenAnotherDialogStillShows()
    {
        var provider = Render<QuietDialogProvider>();
        var navigation = Services.GetRequiredService<NavigationManager>();
        var dialogs = Services.GetRequiredService<IDialogService>();

        var first = await provider.InvokeAsync(() => dialogs.ShowAsync<MudMessageBox>(HostileTitle, new DialogParameters { [nameof(MudMessageBox.Message)] = HostileTitle }));
        provider.WaitForAssertion(() => Assert.Single(provider.FindAll(".mud-dialog")));
        Assert.Contains("&lt;script&gt;", provider.Markup);
        Assert.Empty(provider.FindAll("script"));
        int renders = provider.RenderCount;

        await provider.InvokeAsync(() => navigation.NavigateTo("/users?after=%27%3B--"));

        var result = await first.Result.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(result!.Canceled);
        provider.WaitForAssertion(() => Assert.Empty(provider.FindAll(".mud-dialog")));
        Assert.True(provider.RenderCount > renders, "closing the dialog rendered the provider");

        // With nothing open the next navigation is quiet, and that leaves no note behind to hide the next dialog.
        renders = provider.RenderCount;
        await provider.InvokeAsync(() => navigation.NavigateTo("/audit"));
        Assert.Equal(renders, provider.RenderCount);
        await provider.InvokeAsync(() => dialogs.ShowAsync<MudMessageBox>("Second", new DialogParameters { [nameof(MudMessageBox.Message)] = "Shown" }));
        provider.WaitForAssertion(() => Assert.Contains("Shown", provider.Markup));
    }
}
