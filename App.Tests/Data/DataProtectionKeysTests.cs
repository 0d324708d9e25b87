using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using AdminPortal.App.Data;
using AdminPortal.Tests.Infrastructure;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace AdminPortal.Tests.Data;

/// <summary>The Data Protection key ring in the database: shared by instances, and encrypted with a certificate when one is configured.</summary>
public class DataProtectionKeysTests
{
    private static ServiceProvider Instance(DatabaseOptions database, IConfiguration configuration)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddPortalData(database);
        DataProtectionKeyContext.ProtectKeysWithConfiguredCertificate(services, configuration);
        return services.BuildServiceProvider();
    }

    [Theory, BothProviders]
    public async Task WithACertificate_KeysAreStoredEncrypted_AndOnlyInstancesHoldingItDecrypt(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider);
        string folder = Directory.CreateTempSubdirectory("adminportal-cert-").FullName;
        try
        {
            using var rsa = RSA.Create(2048);
            var request = new CertificateRequest("CN=AdminPortal Data Protection (test)", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
            string path = Path.Combine(folder, "dp.pfx");
            await File.WriteAllBytesAsync(path, certificate.Export(X509ContentType.Pfx, "test-password"));
            var withCertificate = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["DataProtection:Certificate:Path"] = path,
                ["DataProtection:Certificate:Password"] = "test-password",
            }).Build();

            await using var first = Instance(database.Options, withCertificate);
            await using var second = Instance(database.Options, withCertificate);
            await using var noCertificate = Instance(database.Options, new ConfigurationBuilder().Build());
            string protectedText = first.GetRequiredService<IDataProtectionProvider>().CreateProtector("test").Protect("hello");

            Assert.Equal("hello", second.GetRequiredService<IDataProtectionProvider>().CreateProtector("test").Unprotect(protectedText));
            Assert.ThrowsAny<CryptographicException>(() => noCertificate.GetRequiredService<IDataProtectionProvider>().CreateProtector("test").Unprotect(protectedText));

            await using var scope = first.CreateAsyncScope();
            // The first key is the certificate holders'. (The instance without the certificate, unable to read it,
            // makes a key of its own, in plain XML: every instance must have the certificate.)
            var key = await scope.ServiceProvider.GetRequiredService<DataProtectionKeyContext>().DataProtectionKeys.OrderBy(k => k.Id).FirstAsync();
            Assert.Contains("encryptedSecret", key.Xml);
            Assert.DoesNotContain("<masterKey", key.Xml);
        }
        finally
        {
            TempFolder.Delete(folder);
        }
    }
}
