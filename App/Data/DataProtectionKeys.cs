using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.Options;
using Microsoft.EntityFrameworkCore;

namespace AdminPortal.App.Data;

/// <summary>
/// ASP.NET Data Protection with its key ring in the portal's database (table <c>data_protection_keys</c>), so that every
/// portal instance shares the keys: a client secret one instance encrypts, another decrypts, and a sign-in cookie
/// written by one is read by the others.
/// </summary>
/// <remarks>
/// The table belongs to the portal's model, so the migrations create it and the drift check sees it. Only this
/// context reads and writes it: <see cref="PortalDbContext"/> filters it out for every tenant, the system included,
/// and its save guard refuses it.
/// </remarks>
public sealed class DataProtectionKeyContext(DbContextOptions<DataProtectionKeyContext> options) : DbContext(options), IDataProtectionKeyContext
{
    public const string ApplicationName = "AdminPortal";
    public const string Table = "data_protection_keys";

    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    protected override void OnModelCreating(ModelBuilder modelBuilder) => Configure(modelBuilder);

    /// <summary>The table's shape, shared with <see cref="PortalDbContext"/>, whose migrations create it.</summary>
    internal static void Configure(ModelBuilder modelBuilder) => modelBuilder.Entity<DataProtectionKey>().ToTable(Table);

    /// <summary>
    /// With <c>DataProtection:Certificate:Path</c> (a .pfx; <c>:Password</c> if it has one), the keys are encrypted
    /// with that certificate before they reach the table, so a copy of the database alone decrypts nothing. Every
    /// instance needs the same certificate. Without it the keys are stored as plain XML (Data Protection logs a warning
    /// when it creates one), fine for development, not for production.
    /// </summary>
    public static void ProtectKeysWithConfiguredCertificate(IServiceCollection services, IConfiguration configuration)
    {
        if (configuration["DataProtection:Certificate:Path"] is { Length: > 0 } path)
        {
            var certificate = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadPkcs12FromFile(path, configuration["DataProtection:Certificate:Password"]);
            services.AddDataProtection().ProtectKeysWithCertificate(certificate).UnprotectKeysWithAnyCertificate(certificate);
        }
    }

    /// <summary>
    /// Gives the key ring its first key if it has no key in use, as <c>migrate</c> does. Without it, instances started
    /// together on a brand-new database each created their own first key in the same second and learnt of the others'
    /// only when they next reloaded the ring, so a cookie or an antiforgery token from one was refused by another.
    /// </summary>
    /// <returns>True when it created the key.</returns>
    public static bool EnsureKeyInUse(IServiceProvider services, TimeProvider clock)
    {
        var keys = services.GetRequiredService<IKeyManager>();
        var now = clock.GetUtcNow();
        if (keys.GetAllKeys().Any(key => !key.IsRevoked && key.ActivationDate <= now && key.ExpirationDate > now))
        {
            return false;
        }

        keys.CreateNewKey(now, now + services.GetRequiredService<IOptions<KeyManagementOptions>>().Value.NewKeyLifetime);
        return true;
    }

    internal static void AddPortalDataProtection(IServiceCollection services, Action<DbContextOptionsBuilder> configure)
    {
        services.AddDbContext<DataProtectionKeyContext>(configure);
        services.AddDataProtection()
            // Fixed: the default discriminator is the content root path, which differs between instances.
            .SetApplicationName(ApplicationName)
            .PersistKeysToDbContext<DataProtectionKeyContext>();
    }
}
