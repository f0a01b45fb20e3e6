package org.popbeforesmtp.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.popbeforesmtp.testing.Commands;

/**
 * The processor's dashboard in a real browser (Debian's headless Chromium through its chromedriver)
 * against the dev stack: the page loads with no console error and charts the live numbers; a {@code
 * publish} shows in the live-grant count and in the IP search; a revocation without the admin token
 * is refused on the page, one with it ends the grant (the count goes back to 0, the search shows no
 * live grant). Screenshots of each step are saved under {@code target/dashboard-screenshots/}.
 */
class DashboardBrowserIT {
  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  private static final Path SCREENSHOTS = Path.of("target", "dashboard-screenshots");
  private static final String TOKEN = "dashboard-test-token";
  private static final String IP = "203.0.113.77";

  @TempDir Path dir;

  @Test
  void thePageShowsAPublishedGrantFindsItAndRevokesItWithTheAdminToken() throws Exception {
    assumeTrue(
        Files.isExecutable(CHROMEDRIVER) || System.getenv("CI") != null,
        "chromium is not installed (apt-get install chromium chromium-driver)");
    Files.createDirectories(SCREENSHOTS);
    try (DevStack stack =
            DevStack.start(
                new DevStack.Settings(
                    dir.resolve("dev"),
                    true,
                    0,
                    0,
                    0,
                    0,
                    0,
                    Map.of(),
                    Map.of("ttl", "10m", "admin.token", TOKEN)));
        Browser browser = new Browser()) {
      WebDriver driver = browser.driver;
      driver.get("http://127.0.0.1:" + stack.processor().httpPort() + "/");
      assertThat(driver.getCurrentUrl()).endsWith(Dashboard.PATH + "/");
      await()
          .atMost(Duration.ofSeconds(30))
          .ignoreExceptions()
          .untilAsserted(
              () -> {
                assertThat(text(driver, "status")).isEqualTo("live");
                assertThat(text(driver, "tile-grants-live")).isEqualTo("0");
                assertThat(text(driver, "tile-instances")).isEqualTo("1 / 1");
              });
      // the five charts are drawn (uPlot made a canvas in each)
      await()
          .atMost(Duration.ofSeconds(10))
          .ignoreExceptions()
          .until(() -> driver.findElements(By.cssSelector(".chart canvas")).size() == 5);
      browser.shoot("1-loaded");

      Commands.publish(stack.kafka().bootstrapServers(), stack.registry().url(), "alice", IP);
      await()
          .atMost(Duration.ofSeconds(30))
          .ignoreExceptions()
          .untilAsserted(() -> assertThat(text(driver, "tile-grants-live")).isEqualTo("1"));

      search(driver, IP);
      await()
          .atMost(Duration.ofSeconds(10))
          .ignoreExceptions()
          .untilAsserted(
              () -> assertThat(text(driver, "live-grant")).startsWith("Live grant until"));
      assertThat(text(driver, "live-grant")).contains("alice");
      assertThat(driver.findElement(By.id("result")).getText()).contains("alice (" + IP + ")");
      search(driver, "alice");
      await()
          .atMost(Duration.ofSeconds(10))
          .ignoreExceptions()
          .untilAsserted(
              () -> assertThat(text(driver, "result")).contains("alice: 1 live grant(s)", IP));
      search(driver, IP);
      await()
          .atMost(Duration.ofSeconds(10))
          .ignoreExceptions()
          .until(() -> !driver.findElements(By.id("live-grant")).isEmpty());
      browser.shoot("2-grant");
      assertThat(browser.consoleErrors()).as("console errors before any refusal").isEmpty();

      // without the token: refused on the page, the grant stays
      driver.findElement(By.id("revoke")).click();
      await()
          .atMost(Duration.ofSeconds(10))
          .ignoreExceptions()
          .untilAsserted(
              () ->
                  assertThat(text(driver, "result"))
                      .contains("Not revoked: the admin token is missing or wrong."));
      assertThat(stack.edge().cache().check(IP).granted()).isTrue();
      browser.shoot("3-refused-without-token");
      // the only console line is the browser's note of the 401 itself
      assertThat(browser.consoleErrors())
          .allSatisfy(line -> assertThat(line).contains("/v1/revocations", "401"));

      // with the token: the grant ends, on the page and at the edge
      driver.findElement(By.id("token")).sendKeys(TOKEN);
      driver.findElement(By.id("revoke")).click();
      await()
          .atMost(Duration.ofSeconds(30))
          .ignoreExceptions()
          .untilAsserted(
              () -> {
                assertThat(text(driver, "revoked")).isEqualTo("Revoked key " + IP + ".");
                assertThat(text(driver, "no-live-grant"))
                    .isEqualTo("No live grant covers this address.");
              });
      await()
          .atMost(Duration.ofSeconds(30))
          .ignoreExceptions()
          .untilAsserted(() -> assertThat(text(driver, "tile-grants-live")).isEqualTo("0"));
      assertThat(stack.edge().cache().check(IP).granted()).isFalse();
      // the charts have points (at least two polls, so rates were drawn)
      await()
          .atMost(Duration.ofSeconds(10))
          .ignoreExceptions()
          .untilAsserted(() -> assertThat(text(driver, "tile-logins-rate")).isNotEqualTo("–"));
      browser.shoot("4-revoked");
      assertThat(browser.consoleErrors()).as("console errors after the revocation").isEmpty();
    }
  }

  private static String text(WebDriver driver, String id) {
    return driver.findElement(By.id(id)).getText();
  }

  private static void search(WebDriver driver, String query) {
    WebElement box = driver.findElement(By.id("search"));
    box.clear();
    box.sendKeys(query);
    driver.findElement(By.id("search-button")).click();
  }

  /** Headless Chromium on this machine, its console log kept. */
  private static final class Browser implements AutoCloseable {
    final WebDriver driver;

    Browser() {
      ChromeOptions options = new ChromeOptions();
      options.setBinary(CHROMIUM.toFile());
      options.addArguments(
          "--headless=new",
          "--no-sandbox", // the tests run as root
          "--disable-gpu",
          "--disable-dev-shm-usage",
          "--no-first-run",
          "--window-size=1400,1300");
      LoggingPreferences logs = new LoggingPreferences();
      logs.enable(LogType.BROWSER, Level.ALL);
      options.setCapability(ChromeOptions.LOGGING_PREFS, logs);
      ChromeDriverService service =
          new ChromeDriverService.Builder()
              .usingDriverExecutable(new File(CHROMEDRIVER.toString()))
              .usingAnyFreePort()
              .build();
      driver = new ChromeDriver(service, options);
    }

    /** Console lines at SEVERE since the last call (script errors, failed requests). */
    List<String> consoleErrors() {
      List<String> errors = new ArrayList<>();
      for (LogEntry entry : driver.manage().logs().get(LogType.BROWSER)) {
        if (entry.getLevel().intValue() >= Level.SEVERE.intValue()) {
          errors.add(entry.getMessage());
        }
      }
      return errors;
    }

    void shoot(String name) throws Exception {
      byte[] png = ((ChromeDriver) driver).getScreenshotAs(OutputType.BYTES);
      Files.write(SCREENSHOTS.resolve(name + ".png"), png);
    }

    @Override
    public void close() {
      driver.quit();
    }
  }
}
