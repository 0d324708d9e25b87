using System.Security.Claims;
using AdminPortal.App.Data;
using AdminPortal.App.Tenancy;
using AdminPortal.Tests.Infrastructure;
using Bunit;
using Bunit.TestDoubles;
using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Services;

namespace AdminPortal.Tests.Tenancy;

/// <summary>
/// The phone's switch dialog over a seeded SQLite database: choosing a customer keeps the dialog open (a navigation
/// would make MudDialogProvider close it) and renders it a bounded number of times; only Done switches (audited) and
/// puts the switch in the address, while Escape and the close button leave the scope as it was.
/// </summary>
public sealed class TenantSwitchDialogTests : BunitContext, IAsyncLifetime
{
    private TestDatabase database = null!;

    public async Task InitializeAsync()
    {
        database = await TestDatabase.CreateMigratedAsync(DatabaseProvider.Sqlite, seed: true);
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
        Services.AddScoped<AdminPortal.App.Components.Shared.UserActions>();
        Services.AddPortalData(database.Options);
        Services.AddSingleton(TimeProvider.System);
        Services.AddScoped<TenantSwitchService>();
        Services.AddScoped<LastingTenantSwitch>();
        var authorization = AddAuthorization();
        authorization.SetAuthorized("Platform admin");
        authorization.SetClaims(new Claim(PortalClaimTypes.Role, PortalRoles.PlatformAdmin), new Claim(PortalClaimTypes.UserId, "1"));
        SetRendererInfo(new RendererInfo("Server", true));
    }

    public new async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await database.DisposeAsync();
    }

    private async Task<(long Contoso, long Fabrikam)> CustomersAsync()
    {
        await using var context = await database.ContextAsync(TenantScope.System());
        var ids = await context.Db.Customers.Where(c => c.Slug == "contoso" || c.Slug == "fabrikam").ToDictionaryAsync(c => c.Slug, c => c.Id);
        return (ids["contoso"], ids["fabrikam"]);
    }

    private async Task<int> SwitchEntriesAsync()
    {
        await using var context = await database.ContextAsync(TenantScope.System());
        return await context.Db.AuditLog.CountAsync(a => a.Action == "switch_tenant");
    }

    private IRenderedComponent<Microsoft.AspNetCore.Components.IComponent> RenderProviders() => Render(builder =>
    {
        builder.OpenComponent<MudPopoverProvider>(0);
        builder.CloseComponent();
        // As MainLayout has it: Escape closes dialogs.
        builder.OpenComponent<MudDialogProvider>(1);
        builder.AddAttribute(2, nameof(MudDialogProvider.CloseOnEscapeKey), true);
        builder.CloseComponent();
    });

    /// <summary>Opens the dialog and waits until its switcher has loaded the customers (its second render).</summary>
    private async Task OpenAsync(IRenderedComponent<Microsoft.AspNetCore.Components.IComponent> host)
    {
        await host.InvokeAsync(() => TenantSwitchDialog.OpenAsync(Services.GetRequiredService<IDialogService>(), Services.GetRequiredService<LastingTenantSwitch>()));
        host.WaitForAssertion(() => Assert.True(host.FindComponent<TenantSwitcher>().RenderCount >= 2), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task ChooseCustomer_InThePhoneDialog_KeepsItOpenAndStill_AndDoneSwitchesAndPutsTheSwitchInTheAddress()
    {
        var (contoso, _) = await CustomersAsync();
        int entriesBefore = await SwitchEntriesAsync();
        var host = RenderProviders();
        var navigation = Services.GetRequiredService<NavigationManager>();
        var tenant = Services.GetRequiredService<TenantContext>();
        await OpenAsync(host);
        Assert.Single(host.FindComponents<MudSelect<string>>());

        var dialog = host.FindComponent<TenantSwitchDialog>();
        int dialogRenders = dialog.RenderCount;
        var customer = host.FindComponent<MudSelect<string>>();
        await host.InvokeAsync(() => customer.Instance.ValueChanged.InvokeAsync(contoso.ToString()));

        // The dialog is still there with the chosen customer's site select; nothing is switched, audited or in the address yet.
        host.WaitForAssertion(() => Assert.Equal(2, host.FindComponents<MudSelect<string>>().Count), TimeSpan.FromSeconds(10));
        Assert.Single(host.FindComponents<TenantSwitchDialog>());
        Assert.Null(tenant.Current.CustomerId);
        Assert.Equal(entriesBefore, await SwitchEntriesAsync());
        Assert.DoesNotContain("customer=", navigation.Uri);

        // A bounded number of renders (the two selects registering their items), then none while nothing happens:
        // no render loop (a CI run once saw Done re-rendered for 30 s).
        int settled = dialog.RenderCount - dialogRenders;
        Assert.True(settled <= 40, $"the dialog's subtree rendered {settled} times after one choice");
        await Task.Delay(500);
        Assert.Equal(settled, dialog.RenderCount - dialogRenders);

        host.FindAll("button").Single(b => b.TextContent.Trim() == "Done").Click();
        host.WaitForAssertion(() => Assert.Empty(host.FindComponents<TenantSwitchDialog>()), TimeSpan.FromSeconds(10));
        host.WaitForAssertion(() => Assert.Contains($"customer={contoso}", navigation.Uri), TimeSpan.FromSeconds(10));
        Assert.Equal(contoso, tenant.Current.CustomerId);
        Assert.Equal(entriesBefore + 1, await SwitchEntriesAsync());
    }

    /// <summary>
    /// Escape (here the method MudBlazor's dialog script calls on the key; TenantSwitchBrowserTests presses the real
    /// key) and the close button both mean "never mind": the scope stays the one from before the dialog opened,
    /// nothing is audited, and the address keeps its old switch.
    /// </summary>
    [Theory]
    [InlineData("escape")]
    [InlineData("close button")]
    public async Task ChooseCustomer_ThenEscapeOrClose_KeepsTheScopeFromBeforeTheDialog_AndAuditsNothing(string how)
    {
        var (contoso, fabrikam) = await CustomersAsync();
        long contosoSite;
        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            contosoSite = await context.Db.Sites.Where(x => x.CustomerId == contoso).OrderBy(x => x.Id).Select(x => x.Id).FirstAsync();
        }

        var host = RenderProviders();
        var navigation = Services.GetRequiredService<NavigationManager>();
        var tenant = Services.GetRequiredService<TenantContext>();
        var lasting = Services.GetRequiredService<LastingTenantSwitch>();
        // Already narrowed to Fabrikam (its switch in the address) before the dialog opens.
        await host.InvokeAsync(async () =>
        {
            await tenant.ResolveAsync();
            await lasting.SwitchAsync(fabrikam, null);
        });
        Assert.Contains($"customer={fabrikam}", navigation.Uri);
        int entriesBefore = await SwitchEntriesAsync();
        string uriBefore = navigation.Uri;

        await OpenAsync(host);
        var customer = host.FindComponent<MudSelect<string>>();
        await host.InvokeAsync(() => customer.Instance.ValueChanged.InvokeAsync(contoso.ToString()));
        host.WaitForAssertion(() => Assert.Equal(2, host.FindComponents<MudSelect<string>>().Count), TimeSpan.FromSeconds(10));
        var site = host.FindComponents<MudSelect<string>>()[1];
        await host.InvokeAsync(() => site.Instance.ValueChanged.InvokeAsync(contosoSite.ToString()));

        if (how == "escape")
        {
            // What MudBlazor's dialog script calls when Escape is pressed in the dialog (it has no C# key handler to fire).
            var container = host.FindComponent<MudDialogContainer>().Instance;
            var escape = container.GetType().GetMethod("HandleEscapeAsync", System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic);
            Assert.NotNull(escape);
            await host.InvokeAsync(() => (Task)escape.Invoke(container, escape.GetParameters().Length == 0 ? [] : [null])!);
        }
        else
        {
            host.Find("button.mud-button-close").Click();
        }

        host.WaitForAssertion(() => Assert.Empty(host.FindComponents<TenantSwitchDialog>()), TimeSpan.FromSeconds(10));
        await Task.Delay(200);
        Assert.Equal(fabrikam, tenant.Current.CustomerId);
        Assert.Null(tenant.Current.SiteId);
        Assert.Equal(uriBefore, navigation.Uri);
        Assert.Equal(entriesBefore, await SwitchEntriesAsync());

        // Opened again, the switcher shows the real scope, not the abandoned choice.
        await OpenAsync(host);
        Assert.Equal(fabrikam.ToString(), host.FindComponent<MudSelect<string>>().Instance.Value);
    }

    [Fact]
    public async Task AnyNavigation_WhileTheDialogIsOpen_ClosesIt_WhichIsWhyTheSwitchWaitsForDone()
    {
        var host = Render(builder =>
        {
            builder.OpenComponent<MudPopoverProvider>(0);
            builder.CloseComponent();
            builder.OpenComponent<MudDialogProvider>(1);
            builder.CloseComponent();
        });
        var navigation = Services.GetRequiredService<NavigationManager>();
        await host.InvokeAsync(() => TenantSwitchDialog.OpenAsync(Services.GetRequiredService<IDialogService>(), Services.GetRequiredService<LastingTenantSwitch>()));
        host.WaitForAssertion(() => Assert.Single(host.FindComponents<TenantSwitchDialog>()), TimeSpan.FromSeconds(10));

        // What LastingTenantSwitch.CorrectAddress does after a switch: a replace navigation to the same page.
        await host.InvokeAsync(() => navigation.NavigateTo(navigation.Uri + "?customer=1", replace: true));

        host.WaitForAssertion(() => Assert.Empty(host.FindComponents<TenantSwitchDialog>()), TimeSpan.FromSeconds(10));
    }
}
