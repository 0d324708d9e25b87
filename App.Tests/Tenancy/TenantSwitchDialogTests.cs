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
/// would make MudDialogProvider close it), renders it a bounded number of times, and Done puts the switch in the address.
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

    [Fact]
    public async Task ChooseCustomer_InThePhoneDialog_KeepsItOpenAndStill_AndDonePutsTheSwitchInTheAddress()
    {
        long contoso;
        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            contoso = await context.Db.Customers.Where(c => c.Slug == "contoso").Select(c => c.Id).SingleAsync();
        }

        var host = Render(builder =>
        {
            builder.OpenComponent<MudPopoverProvider>(0);
            builder.CloseComponent();
            builder.OpenComponent<MudDialogProvider>(1);
            builder.CloseComponent();
        });
        var navigation = Services.GetRequiredService<NavigationManager>();
        var tenant = Services.GetRequiredService<TenantContext>();
        await host.InvokeAsync(() => TenantSwitchDialog.OpenAsync(Services.GetRequiredService<IDialogService>(), Services.GetRequiredService<LastingTenantSwitch>()));
        // The switcher has loaded its customers (its second render).
        host.WaitForAssertion(() => Assert.True(host.FindComponent<TenantSwitcher>().RenderCount >= 2), TimeSpan.FromSeconds(10));
        Assert.Single(host.FindComponents<MudSelect<string>>());

        var dialog = host.FindComponent<TenantSwitchDialog>();
        int dialogRenders = dialog.RenderCount;
        var customer = host.FindComponent<MudSelect<string>>();
        await host.InvokeAsync(() => customer.Instance.ValueChanged.InvokeAsync(contoso.ToString()));

        // Switched and remembered; the dialog is still there with its site select, and the address is left alone for now.
        host.WaitForAssertion(() => Assert.Equal(contoso, tenant.Current.CustomerId), TimeSpan.FromSeconds(10));
        host.WaitForAssertion(() => Assert.Equal(2, host.FindComponents<MudSelect<string>>().Count), TimeSpan.FromSeconds(10));
        Assert.Single(host.FindComponents<TenantSwitchDialog>());
        Assert.DoesNotContain("customer=", navigation.Uri);

        // A bounded number of renders (34 measured here: the two selects registering their items), then none while
        // nothing happens: no render loop (the CI run saw Done re-rendered for 30 s).
        int settled = dialog.RenderCount - dialogRenders;
        Assert.True(settled <= 40, $"the dialog's subtree rendered {settled} times after one choice");
        await Task.Delay(500);
        Assert.Equal(settled, dialog.RenderCount - dialogRenders);

        host.FindAll("button").Single(b => b.TextContent.Trim() == "Done").Click();
        host.WaitForAssertion(() => Assert.Empty(host.FindComponents<TenantSwitchDialog>()), TimeSpan.FromSeconds(10));
        host.WaitForAssertion(() => Assert.Contains($"customer={contoso}", navigation.Uri), TimeSpan.FromSeconds(10));
        Assert.Equal(contoso, tenant.Current.CustomerId);
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
