# Builds the runnable jar with Maven and runs it on an Eclipse Temurin 17 JRE.
# docker build -t pop-before-smtp .   then   docker run pop-before-smtp processor --help
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY pom.xml .
COPY schemas schemas
COPY src src
RUN mvn -B -q -DskipTests package

FROM eclipse-temurin:17-jre
RUN useradd --system --home /var/lib/pop-before-smtp pbs \
    && mkdir -p /var/lib/pop-before-smtp && chown pbs /var/lib/pop-before-smtp
COPY --from=build /src/target/pop-before-smtp.jar /opt/pop-before-smtp/pop-before-smtp.jar
# the launcher for audit questions inside a running container (README, "Answering fast"):
#   docker compose exec processor-1 pop-before-smtp audit ip 198.51.100.23 --at=-1h
# its class-data archive lands in the service user's home and serves the questions after it
COPY bin/pop-before-smtp /usr/local/bin/pop-before-smtp
ENV PBS_JAR=/opt/pop-before-smtp/pop-before-smtp.jar
USER pbs
WORKDIR /var/lib/pop-before-smtp
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=75", "-jar", "/opt/pop-before-smtp/pop-before-smtp.jar"]
