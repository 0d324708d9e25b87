using System.Net.Sockets;
using AdminPortal.App.Components.Shared;
using AdminPortal.App.Data;
using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;
using Npgsql;

namespace AdminPortal.Tests.Data;

/// <summary>The availability monitor's rules, and the banner it drives (real MudBlazor rendering).</summary>
public sealed class DatabaseAvailabilityTests : BunitContext
{
    [Fact]
    public void IsConnectionFailure_LostServerYes_AnswersFromTheDatabaseNo()
    {
        Assert.True(DatabaseAvailability.IsConnectionFailure(new NpgsqlException("Failed to connect", new SocketException(111))));
        Assert.True(DatabaseAvailability.IsConnectionFailure(new InvalidOperationException("wrapped", new TimeoutException())));
        Assert.True(DatabaseAvailability.IsConnectionFailure(new PostgresException("terminating connection due to administrator command", "FATAL", "FATAL", "57P01")));
        Assert.False(DatabaseAvailability.IsConnectionFailure(new PostgresException("duplicate key", "ERROR", "ERROR", "23505")));
        Assert.False(DatabaseAvailability.IsConnectionFailure(new PostgresException("could not serialize access", "ERROR", "ERROR", "40001")));
        Assert.False(DatabaseAvailability.IsConnectionFailure(new OperationCanceledException()));
        Assert.False(DatabaseAvailability.IsConnectionFailure(new NpgsqlException("cancelled", new OperationCanceledException())));
    }

    [Fact]
    public async Task Banner_FollowsTheMonitor_InALiveRegion()
    {
        var availability = new DatabaseAvailability(new DatabaseOptions { Provider = DatabaseProvider.Sqlite, ConnectionString = "Data Source=:memory:" }, TimeProvider.System);
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
        Services.AddSingleton(availability);
        SetRendererInfo(new RendererInfo("Server", true));
        var banner = Render<DatabaseStatusBanner>();
        var region = banner.Find("[data-testid=database-status]");
        Assert.Equal(("status", "polite"), (region.GetAttribute("role"), region.GetAttribute("aria-live")));
        Assert.DoesNotContain("Database unavailable", banner.Markup);

        availability.Set(false);
        await banner.WaitForAssertionAsync(() => Assert.Contains("Database unavailable — retrying…", banner.Markup));
        Assert.NotNull(availability.UnavailableSince);

        availability.Set(true);
        await banner.WaitForAssertionAsync(() => Assert.DoesNotContain("Database unavailable", banner.Markup));
        Assert.Null(availability.UnavailableSince);
    }
}
